package io.cobalt.gateway.encryption;

/** Opens key event streams ({@link KeyAgentClient} over gRPC; a fake in tests). */
@FunctionalInterface
public interface KeyEventSource {
  /**
   * Opens one stream that reports to {@code listener} until it ends or the returned handle is closed
   * (after which the listener may still get {@link KeyEventListener#onEnded}). Never blocks.
   */
  AutoCloseable subscribe(String subscriberName, KeyEventListener listener);
}
