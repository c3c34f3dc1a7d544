package io.cobalt.gateway.encryption;

/**
 * What the kms-agent's key event stream says, one stream at a time ({@link KeyEventSource}).
 * Called on a gRPC thread; must not block.
 */
public interface KeyEventListener {
  /** The stream is open and everything cached may be stale: drop it. Heartbeats follow every {@code heartbeatMillis}. */
  void onResync(long heartbeatMillis);

  /** Nothing changed; the stream is alive. */
  void onHeartbeat();

  /** A key's state changed ({@code kind} is the agent's event name, for the log); drop what is cached of it. */
  void onKeyChanged(String keyId, int version, String kind);

  /** The stream ended: {@code cause} is why (null if the agent completed it). No callback follows. */
  void onEnded(Throwable cause);
}
