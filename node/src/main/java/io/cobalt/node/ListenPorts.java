package io.cobalt.node;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Chooses listening ports that are free now and stay free until the caller binds them.
 *
 * <p>The usual trick, binding port 0 and closing the socket, returns a port from the kernel's
 * ephemeral range, which the kernel then hands to the next outgoing connection of any process;
 * a node that binds it a few hundred milliseconds later can find it taken (a CI run failed on
 * exactly that). This class picks ports <em>below</em> the ephemeral range instead, which the
 * kernel never assigns to outgoing connections, so the only way to lose one is another process
 * binding it on purpose. Within one JVM a port is never handed out twice; different JVMs start at
 * different offsets (from the process id) to keep concurrent test runs apart.
 *
 * <p>The same matters for {@code cobalt dev}: its ports are chosen once and written into the data
 * directory, so they must not collide with outgoing connections on later starts either.
 */
public final class ListenPorts {
  /** The lowest port handed out: above the well-known and the emulator's 10000-10002. */
  private static final int FLOOR = 12000;
  /** Used when the kernel's ephemeral range cannot be read (Linux's default starts at 32768). */
  private static final int DEFAULT_EPHEMERAL_LOW = 32768;

  private static final int LOW;
  private static final int HIGH;
  private static int next;

  static {
    int ephemeralLow = ephemeralLow();
    if (ephemeralLow - FLOOR >= 2000) {
      LOW = FLOOR;
      HIGH = ephemeralLow - 1;
    } else {
      // An unusual kernel configuration: fall back to the ports above the ephemeral range.
      LOW = Math.min(61000, 65535 - 2000);
      HIGH = 65535;
    }
    next = LOW + (int) (ProcessHandle.current().pid() * 7919 % (HIGH - LOW + 1));
  }

  private ListenPorts() {}

  /** A port free on every local address now, never handed out before by this JVM. */
  public static int next() {
    return next(null);
  }

  /** A port free on {@code host} (and on the wildcard address) now, never handed out before by this JVM. */
  public static synchronized int next(String host) {
    int span = HIGH - LOW + 1;
    for (int attempt = 0; attempt < span; attempt++) {
      int port = next;
      next = next >= HIGH ? LOW : next + 1;
      if (bindable(null, port) && (host == null || bindable(host, port))) {
        return port;
      }
    }
    throw new UncheckedIOException(new IOException("no free listening port in " + LOW + "-" + HIGH));
  }

  /** {@code count} distinct ports, each as by {@link #next()}. */
  public static List<Integer> next(int count) {
    List<Integer> ports = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      ports.add(next());
    }
    return ports;
  }

  private static boolean bindable(String host, int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(host == null ? new InetSocketAddress(port) : new InetSocketAddress(InetAddress.getByName(host), port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int ephemeralLow() {
    // Line by line: some kernels' procfs answers a whole-file read (which trusts the size, 0) with one byte.
    try (BufferedReader in = Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
      return Integer.parseInt(in.readLine().trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return DEFAULT_EPHEMERAL_LOW;
    }
  }
}
