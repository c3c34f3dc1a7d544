package io.cobalt.kms.backend.kmip;

import static io.cobalt.kms.backend.kmip.KmipTags.*;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * A small KMIP 1.4 client over mutual TLS for the operations the KMIP backend needs: Create (an
 * AES-256 symmetric key with a name), Activate, Encrypt and Decrypt (AES-GCM with IV, additional data
 * and tag), Revoke, Destroy and Get Attributes. One request, one batch item. Connections are kept
 * open and reused, at most {@link KmipConfig#maxConnections()} at once; a reused connection that
 * fails is replaced and the request sent once more (never for Create).
 */
public final class KmipClient implements Closeable {
  private static final int PROTOCOL_MAJOR = 1;
  private static final int PROTOCOL_MINOR = 4;

  /** Ciphertext and tag of an AES-GCM Encrypt. */
  public record Sealed(byte[] ciphertext, byte[] tag) {
    @Override
    public String toString() {
      return "Sealed[" + ciphertext.length + " bytes]";
    }
  }

  private final KmipConfig config;
  private final SSLSocketFactory sockets;
  private final Semaphore slots;
  private final BlockingQueue<Connection> idle;
  private volatile boolean closed;

  public KmipClient(KmipConfig config, SecureRandom random) {
    this.config = config;
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(config.tls().keyManagers(), config.tls().trustManagers(), random);
      this.sockets = ctx.getSocketFactory();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot set up TLS for KMIP", e);
    }
    this.slots = new Semaphore(config.maxConnections(), true);
    this.idle = new ArrayBlockingQueue<>(config.maxConnections());
  }

  /** Creates a 256-bit AES key for encrypt and decrypt, named {@code name}; returns its unique identifier. */
  public String create(String name) throws IOException, KmipException {
    Ttlv template = Ttlv.structure(TEMPLATE_ATTRIBUTE,
        attribute("Cryptographic Algorithm", Ttlv.enumeration(ATTRIBUTE_VALUE, ALGORITHM_AES)),
        attribute("Cryptographic Length", Ttlv.integer(ATTRIBUTE_VALUE, 256)),
        attribute("Cryptographic Usage Mask", Ttlv.integer(ATTRIBUTE_VALUE, USAGE_ENCRYPT | USAGE_DECRYPT)),
        attribute("Name", Ttlv.structure(ATTRIBUTE_VALUE,
            Ttlv.text(NAME_VALUE, name), Ttlv.enumeration(NAME_TYPE, NAME_UNINTERPRETED_TEXT))));
    Ttlv payload = call(OP_CREATE, false, Ttlv.enumeration(OBJECT_TYPE, OBJECT_SYMMETRIC_KEY), template);
    return payload.required(UNIQUE_IDENTIFIER).textValue();
  }

  public void activate(String uid) throws IOException, KmipException {
    call(OP_ACTIVATE, true, Ttlv.text(UNIQUE_IDENTIFIER, uid));
  }

  /** Revokes with reason "cessation of operation": the key can no longer encrypt (final in KMIP). */
  public void revoke(String uid) throws IOException, KmipException {
    call(OP_REVOKE, true, Ttlv.text(UNIQUE_IDENTIFIER, uid),
        Ttlv.structure(REVOCATION_REASON, Ttlv.enumeration(REVOCATION_REASON_CODE, REVOCATION_CESSATION_OF_OPERATION)));
  }

  public void destroy(String uid) throws IOException, KmipException {
    call(OP_DESTROY, true, Ttlv.text(UNIQUE_IDENTIFIER, uid));
  }

  /** The State attribute (KMIP State enumeration: 1 pre-active, 2 active, 3 deactivated, ...). */
  public int state(String uid) throws IOException, KmipException {
    Ttlv payload = call(OP_GET_ATTRIBUTES, true, Ttlv.text(UNIQUE_IDENTIFIER, uid), Ttlv.text(ATTRIBUTE_NAME, "State"));
    for (Ttlv attr : payload.children(ATTRIBUTE)) {
      if ("State".equals(attr.required(ATTRIBUTE_NAME).textValue())) {
        return attr.required(ATTRIBUTE_VALUE).intValue();
      }
    }
    throw KmipException.malformed("no State attribute in the response");
  }

  /** AES-GCM encryption on the server with our IV and additional data and a 16-byte tag. */
  public Sealed encrypt(String uid, byte[] iv, byte[] plaintext, byte[] aad) throws IOException, KmipException {
    Ttlv payload = call(OP_ENCRYPT, true, Ttlv.text(UNIQUE_IDENTIFIER, uid), gcmParameters(),
        Ttlv.bytes(DATA, plaintext), Ttlv.bytes(IV_COUNTER_NONCE, iv),
        Ttlv.bytes(AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA, aad));
    return new Sealed(payload.required(DATA).bytesValue(), payload.required(AUTHENTICATED_ENCRYPTION_TAG).bytesValue());
  }

  /** AES-GCM decryption on the server; a tag that does not verify comes back as a Cryptographic Failure. */
  public byte[] decrypt(String uid, byte[] iv, byte[] ciphertext, byte[] aad, byte[] tag)
      throws IOException, KmipException {
    Ttlv payload = call(OP_DECRYPT, true, Ttlv.text(UNIQUE_IDENTIFIER, uid), gcmParameters(),
        Ttlv.bytes(DATA, ciphertext), Ttlv.bytes(IV_COUNTER_NONCE, iv),
        Ttlv.bytes(AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA, aad), Ttlv.bytes(AUTHENTICATED_ENCRYPTION_TAG, tag));
    return payload.required(DATA).bytesValue();
  }

  private static Ttlv gcmParameters() {
    return Ttlv.structure(CRYPTOGRAPHIC_PARAMETERS,
        Ttlv.enumeration(BLOCK_CIPHER_MODE, MODE_GCM),
        Ttlv.enumeration(CRYPTOGRAPHIC_ALGORITHM, ALGORITHM_AES),
        Ttlv.integer(TAG_LENGTH, 16));
  }

  private static Ttlv attribute(String name, Ttlv value) {
    return Ttlv.structure(ATTRIBUTE, Ttlv.text(ATTRIBUTE_NAME, name), value);
  }

  static Ttlv request(int operation, int maxResponseBytes, Ttlv... payload) {
    return Ttlv.structure(REQUEST_MESSAGE,
        Ttlv.structure(REQUEST_HEADER,
            Ttlv.structure(PROTOCOL_VERSION,
                Ttlv.integer(PROTOCOL_VERSION_MAJOR, PROTOCOL_MAJOR), Ttlv.integer(PROTOCOL_VERSION_MINOR, PROTOCOL_MINOR)),
            Ttlv.integer(MAXIMUM_RESPONSE_SIZE, maxResponseBytes),
            Ttlv.integer(BATCH_COUNT, 1)),
        Ttlv.structure(BATCH_ITEM,
            Ttlv.enumeration(OPERATION, operation),
            Ttlv.structure(REQUEST_PAYLOAD, payload)));
  }

  /** The response payload of a successful operation, or the server's failure as a {@link KmipException}. */
  static Ttlv payloadOf(Ttlv response, int operation) throws KmipException {
    if (response.tag() != RESPONSE_MESSAGE || response.type() != Ttlv.Type.STRUCTURE) {
      throw KmipException.malformed("not a Response Message");
    }
    List<Ttlv> items = response.children(BATCH_ITEM);
    if (items.size() != 1) {
      throw KmipException.malformed(items.size() + " batch items, expected 1");
    }
    Ttlv item = items.get(0);
    int status = item.required(RESULT_STATUS).intValue();
    if (status != STATUS_SUCCESS) {
      int reason = item.child(RESULT_REASON).map(Ttlv::intValue).orElse(0);
      String message = item.child(RESULT_MESSAGE).map(Ttlv::textValue).orElse("");
      throw new KmipException(reason, String.format("KMIP operation 0x%02X failed: status %d, reason 0x%02X: %s",
          operation, status, reason, message.length() > 200 ? message.substring(0, 200) : message));
    }
    item.child(OPERATION).ifPresent(op -> {
      if (op.intValue() != operation) {
        throw new IllegalStateException("response for another operation");
      }
    });
    return item.child(RESPONSE_PAYLOAD).orElse(Ttlv.structure(RESPONSE_PAYLOAD, List.of()));
  }

  private Ttlv call(int operation, boolean retriable, Ttlv... payload) throws IOException, KmipException {
    if (closed) {
      throw new IOException("the KMIP client is closed");
    }
    byte[] request = TtlvCodec.encode(request(operation, config.maxResponseBytes(), payload));
    try {
      if (!slots.tryAcquire(config.readTimeoutMillis(), TimeUnit.MILLISECONDS)) {
        throw new IOException("all " + config.maxConnections() + " KMIP connections are busy");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for a KMIP connection");
    }
    try {
      Connection c = idle.poll();
      boolean reused = c != null;
      if (c == null) {
        c = connect();
      }
      byte[] response;
      try {
        response = c.exchange(request, config.maxResponseBytes());
      } catch (KmipException e) {
        c.close();
        throw e;
      } catch (IOException e) {
        c.close();
        if (!reused || !retriable) {
          throw e;
        }
        c = connect();
        try {
          response = c.exchange(request, config.maxResponseBytes());
        } catch (IOException | KmipException again) {
          c.close();
          throw again;
        }
      }
      Ttlv decoded;
      try {
        decoded = TtlvCodec.decode(response);
      } catch (KmipException e) {
        c.close();
        throw e;
      } finally {
        Arrays.fill(response, (byte) 0);
      }
      if (closed || !idle.offer(c)) {
        c.close();
      }
      return payloadOf(decoded, operation);
    } finally {
      Arrays.fill(request, (byte) 0);
      slots.release();
    }
  }

  private Connection connect() throws IOException {
    Socket plain = new Socket();
    try {
      plain.connect(new InetSocketAddress(config.host(), config.port()), config.connectTimeoutMillis());
      SSLSocket s = (SSLSocket) sockets.createSocket(plain, config.host(), config.port(), true);
      SSLParameters p = s.getSSLParameters();
      p.setEndpointIdentificationAlgorithm("HTTPS");
      p.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
      s.setSSLParameters(p);
      s.setSoTimeout(config.connectTimeoutMillis());
      s.startHandshake();
      s.setSoTimeout(config.readTimeoutMillis());
      return new Connection(s);
    } catch (IOException e) {
      plain.close();
      throw e;
    }
  }

  /** One TLS connection; used by one request at a time. */
  private static final class Connection implements Closeable {
    private final SSLSocket socket;
    private final InputStream in;
    private final OutputStream out;

    Connection(SSLSocket socket) throws IOException {
      this.socket = socket;
      this.in = socket.getInputStream();
      this.out = socket.getOutputStream();
    }

    byte[] exchange(byte[] request, int maxResponseBytes) throws IOException, KmipException {
      out.write(request);
      out.flush();
      byte[] header = readFully(TtlvCodec.HEADER_BYTES);
      int tag = ((header[0] & 0xFF) << 16) | ((header[1] & 0xFF) << 8) | (header[2] & 0xFF);
      if (tag != RESPONSE_MESSAGE || header[3] != 0x01) {
        throw KmipException.malformed("the server's answer is not a Response Message");
      }
      int len = TtlvCodec.announcedLength(header);
      if (len > maxResponseBytes) {
        throw KmipException.malformed("response of " + len + " bytes exceeds the limit of " + maxResponseBytes);
      }
      byte[] body = readFully(len);
      byte[] all = new byte[header.length + body.length];
      System.arraycopy(header, 0, all, 0, header.length);
      System.arraycopy(body, 0, all, header.length, body.length);
      Arrays.fill(body, (byte) 0);
      return all;
    }

    private byte[] readFully(int n) throws IOException {
      byte[] b = new byte[n];
      int off = 0;
      while (off < n) {
        int r = in.read(b, off, n - off);
        if (r < 0) {
          throw new EOFException("the KMIP server closed the connection");
        }
        off += r;
      }
      return b;
    }

    @Override
    public void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // nothing left to do
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    List<Connection> left = new ArrayList<>();
    idle.drainTo(left);
    left.forEach(Connection::close);
  }

  @Override
  public String toString() {
    return "KmipClient[" + config.host() + ":" + config.port() + "]";
  }
}
