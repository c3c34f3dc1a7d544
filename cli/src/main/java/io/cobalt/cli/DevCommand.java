package io.cobalt.cli;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cobalt dev}: kms-agent, three nodes and the gateway in one JVM on 127.0.0.1, a drop-in for
 * the Azure Storage emulator that encrypts and replicates. Stops cleanly on Ctrl-C.
 */
@Command(name = "dev", mixinStandardHelpOptions = true,
    description = "Run a whole encrypted 3-node cluster in this process (emulator-compatible).")
final class DevCommand implements Callable<Integer> {
  /** Past this, a stop that hangs ends the process anyway (exit status 1), rather than never. */
  private static final long STOP_LIMIT_MILLIS = 25_000;

  @Option(names = "--data", defaultValue = "./cobalt-data", description = "Data directory (default: ${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--blob-port", defaultValue = "10000", description = "Blob endpoint port (default: ${DEFAULT-VALUE}).")
  int blobPort;

  @Option(names = "--partitions", defaultValue = "16",
      description = "Metadata partitions, fixed when the data directory is created (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Override
  public Integer call() throws Exception {
    long t0 = System.nanoTime();
    DevCluster.Options defaults = DevCluster.Options.defaults(data);
    DevCluster.Options options = new DevCluster.Options(data, host, blobPort, defaults.nodes(), partitions,
        defaults.replicationFactor(), defaults.writeQuorum(), defaults.maxPutBlobBytes());
    DevCluster cluster = DevCluster.start(options);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("cobalt dev: stopping");
      System.out.flush();
      Thread watchdog = new Thread(() -> {
        try {
          Thread.sleep(STOP_LIMIT_MILLIS);
        } catch (InterruptedException e) {
          return;
        }
        System.out.println("cobalt dev: did not stop within " + STOP_LIMIT_MILLIS + " ms; halting");
        System.out.flush();
        Runtime.getRuntime().halt(1);
      }, "cobalt-dev-stop-watchdog");
      watchdog.setDaemon(true);
      watchdog.start();
      cluster.close();
      watchdog.interrupt();
      System.out.println("cobalt dev: stopped");
      System.out.flush();
      stopped.countDown();
    }, "cobalt-dev-shutdown"));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.printf("cobalt dev: ready in %d ms — %d nodes, %d partitions, data in %s%n",
        ms, cluster.options().nodes(), cluster.options().partitions(), cluster.dataDir());
    System.out.println("Blob endpoint: http://" + host + ":" + cluster.blobPort() + "/" + DevCluster.DEV_ACCOUNT);
    System.out.println("Connection string:");
    System.out.println(cluster.connectionString());
    System.out.flush();
    stopped.await();
    return 0;
  }
}
