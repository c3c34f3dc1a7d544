package io.cobalt.node.rpc;

import io.cobalt.node.partition.CommandUnavailableException;
import io.cobalt.node.partition.InvalidRequestException;
import io.cobalt.node.storage.ChunkRejectedException;
import io.cobalt.node.storage.CorruptChunkException;
import io.cobalt.node.storage.StorageException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's wire errors: canonical gRPC codes. Expected failures carry their message and are not
 * logged with a stack trace; unexpected ones reach the client only as an incident reference, and
 * the log has the cause under the same reference.
 *
 * <ul>
 *   <li>INVALID_ARGUMENT: malformed request (bad chunk id or size, data not matching its id, bad
 *       partition, empty command, missing field). Not retriable.
 *   <li>NOT_FOUND: the chunk is not on this node. Try another replica.
 *   <li>DATA_LOSS: this node's copy of the chunk is corrupt. Try another replica; repair this one.
 *   <li>RESOURCE_EXHAUSTED: too many calls in flight. Retriable after back-off.
 *   <li>UNAVAILABLE: local storage failed or is closing, or the partition's Raft group has no
 *       leader reachable from here within the deadline (a command's outcome may then be unknown).
 *       Retriable, preferably through another node.
 *   <li>INTERNAL: a bug; retrying will not help.
 * </ul>
 */
final class StatusCatalogue {
  private static final Logger log = LoggerFactory.getLogger(StatusCatalogue.class);

  private final String nodeId;
  private final AtomicLong incidents = new AtomicLong();

  StatusCatalogue(String nodeId) {
    this.nodeId = nodeId;
  }

  StatusRuntimeException notFound(String message) {
    return Status.NOT_FOUND.withDescription(message).asRuntimeException();
  }

  StatusRuntimeException toStatus(Throwable failure, String operation) {
    Throwable e = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (e instanceof InvalidRequestException || e instanceof ChunkRejectedException) {
      return Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
    }
    if (e instanceof CorruptChunkException corrupt) {
      log.warn("{}: {}", operation, corrupt.getMessage());
      return Status.DATA_LOSS.withDescription(e.getMessage()).asRuntimeException();
    }
    if (e instanceof CommandUnavailableException) {
      log.info("{}: {}", operation, e.getMessage());
      return Status.UNAVAILABLE.withDescription(e.getMessage() + " (node " + nodeId + ")").asRuntimeException();
    }
    String incident = nodeId + "-" + incidents.incrementAndGet();
    if (e instanceof StorageException) {
      log.error("{} failed, incident {}", operation, incident, e);
      return Status.UNAVAILABLE.withDescription("storage unavailable on node " + nodeId + " (incident " + incident + ")")
          .asRuntimeException();
    }
    log.error("{} failed unexpectedly, incident {}", operation, incident, e);
    return Status.INTERNAL.withDescription("internal error on node " + nodeId + " (incident " + incident + ")")
        .asRuntimeException();
  }
}
