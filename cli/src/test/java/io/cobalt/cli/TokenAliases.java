package io.cobalt.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import java.util.Collections;

/**
 * Prints the labels of the objects in one PKCS#11 token, one per line: {@code <library> <slot id>
 * <pin file>}. Run as a child JVM by {@link StandaloneKmsAgentIT}: SoftHSM2 reads its configuration
 * (the token directory) once per process, so a test that loaded it in the failsafe JVM would leave
 * the module initialised on its own, since deleted, tokens for every later test there
 * ({@code HsmAndKmipAccountIT}'s in-process agent then failed with "Initialization failed").
 */
public final class TokenAliases {
  private TokenAliases() {}

  public static void main(String[] args) throws Exception {
    Provider p = Security.getProvider("SunPKCS11").configure("--name = it-aliases\n"
        + "library = \"" + args[0] + "\"\nslot = " + Long.parseLong(args[1]) + "\n");
    KeyStore ks = KeyStore.getInstance("PKCS11", p);
    ks.load(null, Files.readString(Path.of(args[2])).strip().toCharArray());
    for (String alias : Collections.list(ks.aliases())) {
      System.out.println(alias);
    }
  }
}
