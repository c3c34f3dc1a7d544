package io.cobalt.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ListenPortsTest {
  @Test
  void portsAreDistinctBindableAndOutsideTheEphemeralRange() throws IOException {
    Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    String[] bounds = {"32768", "60999"};
    if (Files.exists(range)) {
      try (BufferedReader in = Files.newBufferedReader(range)) {
        bounds = in.readLine().trim().split("\\s+");
      }
    }
    int low = Integer.parseInt(bounds[0]);
    int high = Integer.parseInt(bounds[1]);
    List<Integer> ports = ListenPorts.next(200);
    Set<Integer> distinct = new HashSet<>(ports);
    assertEquals(ports.size(), distinct.size(), "no port is handed out twice");
    for (int port : ports) {
      assertTrue(port < low || port > high, port + " lies outside the ephemeral range " + low + "-" + high);
      assertTrue(port > 10002, port + " leaves the emulator's ports alone");
      if (low >= 14000) {
        assertTrue(port < low, port + " lies below the ephemeral range, where the kernel never assigns outgoing connections");
      }
    }
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), ports.get(0)));
    }
  }

  @Test
  void aPortInUseIsSkipped() throws IOException {
    int first = ListenPorts.next();
    try (ServerSocket held = new ServerSocket()) {
      held.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), first + 1));
      int second = ListenPorts.next("127.0.0.1");
      assertNotEquals(first + 1, second, "the port another socket holds is skipped");
    }
  }
}
