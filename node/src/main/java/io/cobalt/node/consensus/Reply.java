package io.cobalt.node.consensus;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * The reply of a partition's state machine: one tag byte, then the payload. {@code OK}: a
 * serialized {@code CommandResult}/{@code QueryResult}; {@code INVALID}: a UTF-8 message;
 * {@code ALREADY_APPLIED}: empty (an entry replayed after restart; nobody waits for it).
 */
final class Reply {
  static final byte OK = 0;
  static final byte INVALID = 1;
  static final byte ALREADY_APPLIED_TAG = 2;
  static final Message ALREADY_APPLIED = Message.valueOf(ByteString.copyFrom(new byte[] {ALREADY_APPLIED_TAG}));

  private Reply() {}

  static Message ok(byte[] payload) {
    return tagged(OK, payload);
  }

  static Message invalid(String message) {
    return tagged(INVALID, message.getBytes(StandardCharsets.UTF_8));
  }

  private static Message tagged(byte tag, byte[] payload) {
    byte[] b = new byte[payload.length + 1];
    b[0] = tag;
    System.arraycopy(payload, 0, b, 1, payload.length);
    return Message.valueOf(ByteString.copyFrom(b));
  }

  /** The tag of a reply (throws on an empty one). */
  static byte tag(byte[] reply) {
    if (reply.length == 0) {
      throw new IllegalStateException("empty reply from a partition state machine");
    }
    return reply[0];
  }

  static byte[] payload(byte[] reply) {
    return Arrays.copyOfRange(reply, 1, reply.length);
  }
}
