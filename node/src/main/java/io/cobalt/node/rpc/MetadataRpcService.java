package io.cobalt.node.rpc;

import io.cobalt.node.partition.CommandLog;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.MetadataServiceGrpc;
import io.cobalt.proto.node.v1.QueryResult;
import io.grpc.stub.StreamObserver;

/**
 * gRPC adapter of {@code MetadataService}: commands and (linearizable) queries go to the
 * {@link CommandLog}; on a Raft node any voter serves any of its partitions, whoever leads.
 */
final class MetadataRpcService extends MetadataServiceGrpc.MetadataServiceImplBase {
  private final CommandLog commandLog;
  private final StatusCatalogue statuses;

  MetadataRpcService(CommandLog commandLog, StatusCatalogue statuses) {
    this.commandLog = commandLog;
    this.statuses = statuses;
  }

  @Override
  public void submit(MetadataCommand command, StreamObserver<CommandResult> response) {
    commandLog.submit(command).whenComplete((result, failure) -> {
      if (failure != null) {
        response.onError(statuses.toStatus(failure, "Submit " + command.getCommandCase()));
      } else {
        response.onNext(result);
        response.onCompleted();
      }
    });
  }

  @Override
  public void query(MetadataQuery query, StreamObserver<QueryResult> response) {
    commandLog.query(query).whenComplete((result, failure) -> {
      if (failure != null) {
        response.onError(statuses.toStatus(failure, "Query " + query.getQueryCase()));
      } else {
        response.onNext(result);
        response.onCompleted();
      }
    });
  }
}
