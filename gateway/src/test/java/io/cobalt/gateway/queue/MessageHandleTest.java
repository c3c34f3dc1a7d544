package io.cobalt.gateway.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MessageHandleTest {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());

  @Test
  void aPopReceiptCarriesTheSequenceAndTheReceiptBytesAndNeedsNoEscaping() {
    Random random = new Random(SEED);
    for (int i = 0; i < 1000; i++) {
      byte[] receipt = new byte[16];
      random.nextBytes(receipt);
      long sequence = i < 3 ? List.of(0L, -1L, Long.MAX_VALUE).get(i) : random.nextLong();
      MessageHandle h = new MessageHandle(sequence, ByteString.copyFrom(receipt));
      String wire = h.popReceipt();
      assertEquals(32, wire.length());
      assertTrue(wire.matches("[A-Za-z0-9_-]+"), wire + " (seed " + SEED + ")");
      assertEquals(h, MessageHandle.parsePopReceipt(wire), "seed " + SEED);
    }
  }

  @Test
  void aPopReceiptThatIsNotOursIsAnInvalidQueryParameter() {
    for (String bad : new String[] {null, "", "abc", "not base64 at all!!", "A".repeat(31), "A".repeat(33),
        "A".repeat(44)}) {
      AzureException e = assertThrows(AzureException.class, () -> MessageHandle.parsePopReceipt(bad), bad);
      assertEquals(AzureError.INVALID_QUERY_PARAMETER_VALUE, e.error());
    }
  }

  @Test
  void aMessageIdIsAGuidOfItsSixteenBytes() {
    ByteString id = ByteString.copyFrom(new byte[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, (byte) 0xff});
    String wire = MessageHandle.messageId(id);
    assertEquals("00010203-0405-0607-0809-0a0b0c0d0eff", wire);
    assertEquals(id, MessageHandle.parseMessageId(wire));
    assertEquals(id, MessageHandle.parseMessageId(wire.toUpperCase()));
    for (String bad : new String[] {null, "", "00010203", "zz010203-0405-0607-0809-0a0b0c0d0eff"}) {
      AzureException e = assertThrows(AzureException.class, () -> MessageHandle.parseMessageId(bad));
      assertEquals(AzureError.MESSAGE_NOT_FOUND, e.error());
    }
  }
}
