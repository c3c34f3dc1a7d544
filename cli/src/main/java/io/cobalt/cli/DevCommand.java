package io.cobalt.cli;

import io.cobalt.cli.role.KeyBackendSettings;
import io.cobalt.cli.role.RoleConfigException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

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

  @Option(names = "--https",
      description = "Serve the Blob endpoint over HTTPS (TLS 1.2/1.3) on --blob-port, with a certificate from the"
          + " dev cluster's CA (<data>/tls/ca.pem: trust it in the client). Plain HTTP is then off unless"
          + " --http-port is given.")
  boolean https;

  @Option(names = "--http-port", defaultValue = "-1",
      description = "With --https: also serve plain HTTP on this port (0: any free port). Default: no plain HTTP.")
  int httpPort;

  @Option(names = "--table-port", defaultValue = "10002",
      description = "Table endpoint port, plain HTTP (default: ${DEFAULT-VALUE}; -1: no Table endpoint).")
  int tablePort;

  @Option(names = "--queue-port", defaultValue = "10001",
      description = "Queue endpoint port, plain HTTP (default: ${DEFAULT-VALUE}; -1: no Queue endpoint).")
  int queuePort;

  @Option(names = "--key-backends", paramLabel = "FILE",
      description = "Properties file of further kms-agent key backends, in the kms-agent config's keys:"
          + " pkcs11.library, pkcs11.slot.index, pkcs11.pin.file (a PKCS#11 token; the PIN only in that file),"
          + " kmip.host, kmip.port, kmip.cert.file, kmip.key.file, kmip.ca.file (a KMIP server)."
          + " Keys can then be created in them (cobalt admin keys create --backend pkcs11|kmip) and accounts or"
          + " scopes switched to those keys.")
  Path keyBackends;

  @Spec
  CommandSpec spec;

  /** The cluster options the flags ask for. */
  DevCluster.Options options() {
    if (httpPort != -1 && !https) {
      throw new ParameterException(spec.commandLine(),
          "--http-port is for --https (without --https, --blob-port is plain HTTP)");
    }
    DevCluster.Options defaults = DevCluster.Options.defaults(data);
    DevCluster.Options options = new DevCluster.Options(data, host, blobPort, defaults.nodes(), partitions,
        defaults.replicationFactor(), defaults.writeQuorum(), defaults.maxPutBlobBytes());
    options = options.withTablePort(tablePort).withQueuePort(queuePort);
    if (keyBackends != null) {
      try {
        options = options.withKeyBackends(
            KeyBackendSettings.load(keyBackends, System.getenv()).toBackends(data.resolve("kms")));
      } catch (RoleConfigException e) {
        throw new ParameterException(spec.commandLine(), "--key-backends: " + e.getMessage());
      }
    }
    return https ? options.withHttps(httpPort) : options;
  }

  @Override
  public Integer call() throws Exception {
    long t0 = System.nanoTime();
    DevCluster.Options options = options();
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
    System.out.println("Blob endpoint: " + cluster.blobEndpoint());
    if (!options.keyBackends().isEmpty()) {
      System.out.println("Key backends: local (service-managed keys), "
          + String.join(", ", options.keyBackends().stream().map(b -> b.name()).toList())
          + " (cobalt admin keys create --backend NAME)");
    }
    if (cluster.queueEndpoint() != null) {
      System.out.println("Queue endpoint: " + cluster.queueEndpoint());
    }
    if (cluster.tableEndpoint() != null) {
      System.out.println("Table endpoint: " + cluster.tableEndpoint());
    }
    if (options.https()) {
      System.out.println("TLS: trust the dev cluster CA certificate " + cluster.caCertificate()
          + " (the endpoint's certificate is valid for localhost, 127.0.0.1 and ::1)");
      System.out.println(cluster.httpPort() > 0
          ? "Plain HTTP also on: http://" + host + ":" + cluster.httpPort() + "/" + DevCluster.DEV_ACCOUNT
          : "Plain HTTP: off");
    }
    System.out.println("Connection string:");
    System.out.println(cluster.connectionString());
    System.out.flush();
    stopped.await();
    return 0;
  }
}
