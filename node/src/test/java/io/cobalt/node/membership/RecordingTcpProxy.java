package io.cobalt.node.membership;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test fixture: a TCP forwarder on a loopback port that passes every connection on to a target
 * port and records every byte it forwards, one recording per connection and direction (so a
 * byte string that crosses a read boundary is still found whole). Recording more than a fixed
 * limit is an error the test sees ({@link #overflowed()}), never a silent gap.
 */
public final class RecordingTcpProxy implements AutoCloseable {
  /** The most bytes one proxy records. */
  public static final long MAX_RECORDED_BYTES = 256L * 1024 * 1024;

  private final String name;
  private final ServerSocket server;
  private final InetSocketAddress target;
  private final List<Recording> recordings = new CopyOnWriteArrayList<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  private final AtomicLong recorded = new AtomicLong();
  private final AtomicBoolean overflowed = new AtomicBoolean();
  private final AtomicInteger connections = new AtomicInteger();
  private final java.util.Set<Integer> outboundLocalPorts = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private RecordingTcpProxy(String name, ServerSocket server, InetSocketAddress target) {
    this.name = name;
    this.server = server;
    this.target = target;
  }

  /** Listens on a free port of 127.0.0.1 and forwards to {@code 127.0.0.1:targetPort}. */
  public static RecordingTcpProxy start(String name, int targetPort) throws IOException {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    ServerSocket server = new ServerSocket(0, 50, loopback);
    RecordingTcpProxy proxy = new RecordingTcpProxy(name, server, new InetSocketAddress(loopback, targetPort));
    proxy.spawn("proxy-" + name + "-accept", proxy::acceptLoop);
    return proxy;
  }

  public String name() {
    return name;
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Bytes forwarded so far, both directions. */
  public long recordedBytes() {
    return recorded.get();
  }

  public int connections() {
    return connections.get();
  }

  /** Local ports of the connections this proxy opened to its target (to tell them from direct ones). */
  public java.util.Set<Integer> outboundLocalPorts() {
    return java.util.Set.copyOf(outboundLocalPorts);
  }

  /** Whether more than {@link #MAX_RECORDED_BYTES} went through (the recordings are then incomplete). */
  public boolean overflowed() {
    return overflowed.get();
  }

  /** A copy of each recording: one per connection and direction, labelled. */
  public List<Recording> recordings() {
    List<Recording> out = new ArrayList<>();
    for (Recording r : recordings) {
      out.add(r.copy());
    }
    return out;
  }

  private void acceptLoop() {
    while (!closed) {
      Socket in;
      try {
        in = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      int n = connections.incrementAndGet();
      Socket out = new Socket();
      try {
        out.connect(target, 5_000);
      } catch (IOException e) {
        closeQuietly(in);
        closeQuietly(out);
        continue;
      }
      outboundLocalPorts.add(out.getLocalPort());
      sockets.add(in);
      sockets.add(out);
      Recording up = new Recording(name + "#" + n + " to member");
      Recording down = new Recording(name + "#" + n + " from member");
      recordings.add(up);
      recordings.add(down);
      spawn("proxy-" + name + "-" + n + "-up", () -> pump(in, out, up));
      spawn("proxy-" + name + "-" + n + "-down", () -> pump(out, in, down));
    }
  }

  private void pump(Socket from, Socket to, Recording recording) {
    byte[] buf = new byte[16 * 1024];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      int n;
      while ((n = in.read(buf)) >= 0) {
        if (recorded.addAndGet(n) > MAX_RECORDED_BYTES) {
          overflowed.set(true);
        } else {
          recording.append(buf, n);
        }
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // one side closed or reset: close both below
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private void spawn(String threadName, Runnable body) {
    Thread t = new Thread(body, threadName);
    t.setDaemon(true);
    threads.add(t);
    t.start();
  }

  /** Stops accepting, closes every forwarded connection and waits for the pumps to end. */
  @Override
  public void close() {
    closed = true;
    closeQuietly(server);
    for (Socket s : sockets) {
      closeQuietly(s);
    }
    try {
      for (Thread t : threads) {
        t.join(5_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // closing anyway
    }
  }

  /** The bytes of one direction of one connection. */
  public static final class Recording {
    private final String label;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    Recording(String label) {
      this.label = label;
    }

    private Recording(String label, byte[] content) {
      this.label = label;
      this.bytes.writeBytes(content);
    }

    synchronized void append(byte[] buf, int n) {
      bytes.write(buf, 0, n);
    }

    synchronized Recording copy() {
      return new Recording(label, bytes.toByteArray());
    }

    public String label() {
      return label;
    }

    public synchronized byte[] bytes() {
      return bytes.toByteArray();
    }
  }
}
