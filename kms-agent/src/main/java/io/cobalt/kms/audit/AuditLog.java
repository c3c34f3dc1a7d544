package io.cobalt.kms.audit;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only, hash-chained audit log file. {@link #append} writes one line and forces it to
 * disk before it returns; if that fails the caller must fail its operation. Appends are serialized.
 *
 * <p>On open it continues the chain and the sequence from the last complete line. A torn last line
 * (a crash in the middle of an append, which therefore never answered) is cut off with a warning.
 */
public final class AuditLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
  private static final int MAX_FIELD_CHARS = 256;
  private static final String HMAC = "HmacSHA256";

  private final Path file;
  private final String agent;
  private final Clock clock;
  private final FileChannel channel;
  private final Mac contextMac;
  private long position;
  private long seq;
  private String prevHash;
  private boolean broken;
  private boolean closed;

  private AuditLog(Path file, String agent, Clock clock, FileChannel channel, Mac contextMac,
      long position, long seq, String prevHash) {
    this.file = file;
    this.agent = agent;
    this.clock = clock;
    this.channel = channel;
    this.contextMac = contextMac;
    this.position = position;
    this.seq = seq;
    this.prevHash = prevHash;
  }

  /**
   * Opens (creating, owner-only) the audit log at {@code file}.
   *
   * @param agent this agent's name, written in every line
   * @param contextKey the key under which sensitive context is HMAC'd (at least 32 bytes; copied)
   */
  public static AuditLog open(Path file, String agent, byte[] contextKey, Clock clock) throws IOException {
    Objects.requireNonNull(agent, "agent");
    if (contextKey == null || contextKey.length < 32) {
      throw new IllegalArgumentException("the audit context key must be at least 32 bytes");
    }
    createOwnerOnly(file);
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      Tail tail = readTail(file, ch);
      Mac mac = Mac.getInstance(HMAC);
      mac.init(new SecretKeySpec(contextKey, HMAC));
      return new AuditLog(file, agent, clock, ch, mac, tail.end, tail.seq, tail.hash);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    } catch (GeneralSecurityException e) {
      ch.close();
      throw new IllegalStateException("HmacSHA256 is mandatory in every JDK", e);
    }
  }

  /** Writes {@code event} as the next line and forces it to disk. */
  public synchronized void append(AuditEvent event) throws IOException {
    if (closed) {
      throw new IOException("audit log " + file + " is closed");
    }
    if (broken) {
      throw new IOException("audit log " + file + " failed earlier and could not be repaired; restart the agent");
    }
    long nextSeq = seq + 1;
    byte[] line = render(event, nextSeq).getBytes(StandardCharsets.UTF_8);
    ByteBuffer buf = ByteBuffer.allocate(line.length + 1).put(line).put((byte) '\n').flip();
    try {
      long at = position;
      while (buf.hasRemaining()) {
        at += channel.write(buf, at);
      }
      channel.force(false);
    } catch (IOException e) {
      try {
        channel.truncate(position);
        channel.force(false);
      } catch (IOException | RuntimeException repair) {
        broken = true;
      }
      throw e;
    }
    position += line.length + 1;
    seq = nextSeq;
    prevHash = AuditChain.hash(line, 0, line.length);
  }

  private String render(AuditEvent e, long lineSeq) {
    JsonObject key = new JsonObject()
        .put("id", bounded(e.keyId()))
        .put("version", e.keyVersion());
    return new JsonObject()
        .put("ts", DateTimeFormatter.ISO_INSTANT.format(clock.instant()))
        .put("seq", lineSeq)
        .put("agent", agent)
        .put("requestId", bounded(e.requestId()))
        .put("caller", bounded(e.caller()))
        .put("op", e.op().name())
        .put("key", key)
        .put("result", e.outcome().json())
        .put("code", bounded(e.code()))
        .put("latencyMs", Math.round(e.latencyNanos() / 1_000.0) / 1_000.0)
        .put("context", e.account() == null ? null : contextHash(e.account()))
        .put("prevHash", prevHash)
        .encode();
  }

  private String contextHash(String account) {
    return HexFormat.of().formatHex(contextMac.doFinal(account.getBytes(StandardCharsets.UTF_8)));
  }

  private static String bounded(String s) {
    return s == null || s.length() <= MAX_FIELD_CHARS ? s : s.substring(0, MAX_FIELD_CHARS);
  }

  /** The sequence number of the last line written (0 for an empty log). */
  public synchronized long lastSeq() {
    return seq;
  }

  public Path file() {
    return file;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      channel.close();
    } catch (IOException e) {
      LOG.warn("closing audit log {} failed: {}", file, e.toString());
    }
  }

  private record Tail(long end, long seq, String hash) {}

  private static Tail readTail(Path file, FileChannel ch) throws IOException {
    long size = ch.size();
    if (size == 0) {
      return new Tail(0, 0, AuditChain.GENESIS);
    }
    long start = Math.max(0, size - (2L * AuditChain.MAX_LINE_BYTES + 2));
    byte[] tail = new byte[(int) (size - start)];
    ByteBuffer buf = ByteBuffer.wrap(tail);
    while (buf.hasRemaining()) {
      if (ch.read(buf, start + buf.position()) < 0) {
        throw new IOException("audit log " + file + " shrank while it was being opened");
      }
    }
    int lastNl = lastIndexOf(tail, tail.length - 1);
    if (lastNl != tail.length - 1) {
      // Torn tail: an append that never completed (and so never answered). Cut it off.
      long cut = lastNl < 0 ? start : start + lastNl + 1;
      if (lastNl < 0 && start > 0) {
        throw new IOException("audit log " + file + " ends in a line longer than "
            + AuditChain.MAX_LINE_BYTES + " bytes; run the audit verifier");
      }
      LOG.warn("audit log {} ended in an incomplete line ({} bytes); cutting it off", file, size - cut);
      ch.truncate(cut);
      ch.force(true);
      if (cut == 0) {
        return new Tail(0, 0, AuditChain.GENESIS);
      }
      return readTail(file, ch);
    }
    int prevNl = lastIndexOf(tail, lastNl - 1);
    if (prevNl < 0 && start > 0) {
      throw new IOException("audit log " + file + " ends in a line longer than "
          + AuditChain.MAX_LINE_BYTES + " bytes; run the audit verifier");
    }
    int from = prevNl + 1;
    int len = lastNl - from;
    long lastSeq;
    try {
      lastSeq = new JsonObject(new String(tail, from, len, StandardCharsets.UTF_8)).getLong("seq", -1L);
    } catch (DecodeException | ClassCastException e) {
      lastSeq = -1;
    }
    if (lastSeq < 1) {
      throw new IOException("the last line of audit log " + file + " is not an audit record; run the audit verifier");
    }
    return new Tail(size, lastSeq, AuditChain.hash(tail, from, len));
  }

  private static int lastIndexOf(byte[] bytes, int fromInclusive) {
    for (int i = fromInclusive; i >= 0; i--) {
      if (bytes[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private static void createOwnerOnly(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try {
      if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } else {
        Files.createFile(file);
      }
    } catch (FileAlreadyExistsException e) {
      // continue the existing log
    }
  }

  @Override
  public String toString() {
    return "AuditLog[" + file + "]";
  }
}
