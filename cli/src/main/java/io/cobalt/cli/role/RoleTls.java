package io.cobalt.cli.role;

import io.cobalt.crypto.tls.ClusterTls;
import io.cobalt.crypto.tls.TlsMaterial;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loads a role's certificate from the cluster TLS directory, with an error that says which file is wrong. */
final class RoleTls {
  private RoleTls() {}

  static TlsMaterial load(Path configFile, Path dir, String name) throws RoleConfigException {
    for (Path f : new Path[] {dir.resolve(ClusterTls.CA_CERT), dir.resolve(name + ".pem"), dir.resolve(name + ".key")}) {
      if (!Files.isReadable(f)) {
        throw new RoleConfigException("invalid config " + configFile + ": TLS file " + f
            + " is missing or unreadable (tls.dir " + dir + ", tls.name " + name + "; `cobalt init` writes them)");
      }
    }
    try {
      return TlsMaterial.load(dir, name);
    } catch (IOException | RuntimeException e) {
      throw new RoleConfigException("invalid config " + configFile + ": cannot load TLS material '" + name + "' from "
          + dir + ": " + e.getClass().getSimpleName());
    }
  }
}
