package io.cobalt.kms.audit;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks an audit log's hash chain: each line must be a JSON record whose {@code seq} follows the
 * previous one (starting at 1) and whose {@code prevHash} is the SHA-256 of the previous line (64
 * zeros for the first). An edited line shows at the line after it (its link no longer matches); a
 * deleted, inserted or moved line shows where the chain first breaks.
 */
public final class AuditLogVerifier {
  private AuditLogVerifier() {}

  /**
   * The outcome of a check.
   *
   * @param records the number of lines that were verified before the first bad one (all, when intact)
   * @param firstBadLine 1-based number of the first line whose record or chain link is wrong; -1 when intact
   * @param reason what is wrong at {@code firstBadLine}; "intact" when intact
   */
  public record Result(boolean intact, long records, long firstBadLine, String reason) {}

  public static Result verify(Path auditFile) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(auditFile), 64 * 1024)) {
      String expectedPrev = AuditChain.GENESIS;
      long lineNo = 0;
      ByteArrayOutputStream line = new ByteArrayOutputStream(1024);
      int b;
      boolean pending = false;
      while ((b = in.read()) >= 0) {
        if (b != '\n') {
          if (line.size() >= AuditChain.MAX_LINE_BYTES) {
            return bad(lineNo + 1, lineNo, "line is longer than " + AuditChain.MAX_LINE_BYTES + " bytes");
          }
          line.write(b);
          pending = true;
          continue;
        }
        lineNo++;
        byte[] bytes = line.toByteArray();
        line.reset();
        pending = false;
        String problem = check(bytes, lineNo, expectedPrev);
        if (problem != null) {
          return bad(lineNo, lineNo - 1, problem);
        }
        expectedPrev = AuditChain.hash(bytes, 0, bytes.length);
      }
      if (pending) {
        return bad(lineNo + 1, lineNo, "the last line is incomplete (no newline)");
      }
      return new Result(true, lineNo, -1, "intact");
    }
  }

  private static String check(byte[] bytes, long lineNo, String expectedPrev) {
    JsonObject record;
    try {
      record = new JsonObject(new String(bytes, StandardCharsets.UTF_8));
    } catch (DecodeException | ClassCastException e) {
      return "not a JSON record";
    }
    Object seq = record.getValue("seq");
    if (!(seq instanceof Number n) || n.longValue() != lineNo) {
      return "seq is " + seq + ", expected " + lineNo + " (a line was removed, inserted or moved)";
    }
    Object prev = record.getValue("prevHash");
    if (!expectedPrev.equals(prev)) {
      return lineNo == 1
          ? "prevHash of the first line is not the genesis value"
          : "prevHash does not match the hash of line " + (lineNo - 1) + " (line " + (lineNo - 1)
              + " or this line was edited, or lines were removed, inserted or moved)";
    }
    return null;
  }

  private static Result bad(long line, long verified, String reason) {
    return new Result(false, verified, line, reason);
  }
}
