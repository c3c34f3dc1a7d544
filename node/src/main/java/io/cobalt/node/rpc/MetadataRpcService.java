package io.cobalt.node.rpc;

import io.cobalt.node.partition.CommandLog;
import io.cobalt.node.partition.PartitionStateMachine;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.MetadataServiceGrpc;
import io.cobalt.proto.node.v1.QueryResult;
import io.grpc.stub.StreamObserver;

/** gRPC adapter of {@code MetadataService}: commands go to the {@link CommandLog}, queries to the state machine. */
final class MetadataRpcService extends MetadataServiceGrpc.MetadataServiceImplBase {
  private final CommandLog commandLog;
  private final PartitionStateMachine stateMachine;
  private final StatusCatalogue statuses;

  MetadataRpcService(CommandLog commandLog, PartitionStateMachine stateMachine, StatusCatalogue statuses) {
    this.commandLog = commandLog;
    this.stateMachine = stateMachine;
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
    QueryResult result;
    try {
      result = stateMachine.query(query);
    } catch (RuntimeException e) {
      response.onError(statuses.toStatus(e, "Query " + query.getQueryCase()));
      return;
    }
    response.onNext(result);
    response.onCompleted();
  }
}
