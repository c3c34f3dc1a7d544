package io.cobalt.cli.admin;

import io.cobalt.cli.admin.rpc.KeyAdminClient;
import io.cobalt.cli.admin.rpc.KeyAdminException;
import io.cobalt.crypto.tls.TlsMaterial;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the kms-agent is and who we are to it: {@code <NAME>.pem/.key} and {@code ca.pem} from a cluster TLS directory. */
final class KmsConnectionOptions {
  @Option(names = "--kms", required = true, paramLabel = "HOST:PORT", description = "the kms-agent's address")
  String kms;

  @Option(names = "--tls-dir", required = true, paramLabel = "DIR",
      description = "cluster TLS directory holding <NAME>.pem, <NAME>.key and ca.pem")
  Path tlsDir;

  @Option(names = "--identity", defaultValue = "admin", paramLabel = "NAME",
      description = "certificate name to present (default: ${DEFAULT-VALUE}); the agent's policy must grant it")
  String identity;

  KeyAdminClient connect() throws KeyAdminException {
    TlsMaterial tls;
    try {
      tls = TlsMaterial.load(tlsDir, identity);
    } catch (IOException | RuntimeException e) {
      throw new KeyAdminException("cannot load " + identity + ".pem/" + identity + ".key/ca.pem from " + tlsDir
          + ": " + e.getMessage(), "TLS_FILES");
    }
    return KeyAdminClient.connect(kms, tls);
  }
}
