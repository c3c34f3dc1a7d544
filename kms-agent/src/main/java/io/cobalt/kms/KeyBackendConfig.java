package io.cobalt.kms;

import io.cobalt.kms.backend.kmip.KmipConfig;
import io.cobalt.kms.backend.pkcs11.Pkcs11Config;
import java.util.Objects;

/**
 * Which backend holds new keys (and accounts' service-managed keys): the local sealed keystore, a
 * PKCS#11 token or a KMIP server. The local keystore is always open as well (it seals the agent's own
 * secrets and keeps keys created before a switch), so keys in either stay usable.
 */
public sealed interface KeyBackendConfig {
  /** The backend's name as CreateKey and GetKey show it: {@code local}, {@code pkcs11}, {@code kmip}. */
  String name();

  static KeyBackendConfig local() {
    return new Local();
  }

  record Local() implements KeyBackendConfig {
    @Override
    public String name() {
      return "local";
    }
  }

  record Pkcs11(Pkcs11Config config) implements KeyBackendConfig {
    public Pkcs11 {
      Objects.requireNonNull(config, "config");
    }

    @Override
    public String name() {
      return "pkcs11";
    }
  }

  record Kmip(KmipConfig config) implements KeyBackendConfig {
    public Kmip {
      Objects.requireNonNull(config, "config");
    }

    @Override
    public String name() {
      return "kmip";
    }
  }
}
