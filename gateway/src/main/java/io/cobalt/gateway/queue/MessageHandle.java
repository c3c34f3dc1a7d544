package io.cobalt.gateway.queue;

import com.google.protobuf.ByteString;
import io.cobalt.gateway.http.AzureError;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.UUID;

/**
 * How a message is named on the wire (ADR 0009 decision 4). The message id is the record's 16
 * random {@code message_id} bytes as a GUID string, as Azure's are. The pop receipt is the
 * message's {@code sequence} (where the record is: one point read, no index) and its 16 receipt
 * bytes, as URL-safe Base64 without padding (32 characters, no character a query string must
 * escape). Clients treat both as opaque. A pop receipt names a sequence the node then checks
 * against the message id, so a receipt pasted onto another message finds MessageNotFound or
 * PopReceiptMismatch, never that other message.
 *
 * @param sequence the message record's sequence (the log index of its Put)
 * @param receipt the 16 receipt bytes the node compares
 */
public record MessageHandle(long sequence, ByteString receipt) {
  static final int RECEIPT_BYTES = 16;
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

  public MessageHandle {
    if (receipt.size() != RECEIPT_BYTES) {
      throw new IllegalArgumentException("a receipt is " + RECEIPT_BYTES + " bytes");
    }
  }

  /** The pop receipt as the client sees it. */
  public String popReceipt() {
    ByteBuffer b = ByteBuffer.allocate(8 + RECEIPT_BYTES).putLong(sequence);
    receipt.copyTo(b);
    return ENCODER.encodeToString(b.array());
  }

  /** @throws io.cobalt.gateway.http.AzureException 400 InvalidQueryParameterValue if it is not one of ours */
  public static MessageHandle parsePopReceipt(String popReceipt) {
    byte[] raw;
    try {
      raw = popReceipt == null ? null : DECODER.decode(popReceipt);
    } catch (IllegalArgumentException e) {
      raw = null;
    }
    if (raw == null || raw.length != 8 + RECEIPT_BYTES) {
      throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception("QueryParameterName", "popreceipt");
    }
    ByteBuffer b = ByteBuffer.wrap(raw);
    return new MessageHandle(b.getLong(), ByteString.copyFrom(raw, 8, RECEIPT_BYTES));
  }

  /** The message id as the client sees it: a GUID. */
  public static String messageId(ByteString id) {
    ByteBuffer b = id.asReadOnlyByteBuffer();
    return new UUID(b.getLong(), b.getLong()).toString();
  }

  /**
   * The 16 message id bytes of a GUID string.
   *
   * @throws io.cobalt.gateway.http.AzureException 404 MessageNotFound if it is no GUID (no message has that id)
   */
  public static ByteString parseMessageId(String messageId) {
    if (messageId == null || messageId.length() != 36) {
      throw AzureError.MESSAGE_NOT_FOUND.exception();
    }
    UUID u;
    try {
      u = UUID.fromString(messageId);
    } catch (IllegalArgumentException e) {
      throw AzureError.MESSAGE_NOT_FOUND.exception();
    }
    return ByteString.copyFrom(
        ByteBuffer.allocate(16).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits()).array());
  }
}
