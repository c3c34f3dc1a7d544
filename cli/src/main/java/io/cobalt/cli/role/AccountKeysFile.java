package io.cobalt.cli.role;

import io.cobalt.gateway.AccountKeys;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * The gateway's account keys: a properties file, mode 0600, {@code <account>.key1} and optional
 * {@code <account>.key2}, each the base64 of the raw key (as in a connection string's AccountKey),
 * and optional {@code <account>.requireInfrastructureEncryption = true|false} (default false; chosen
 * when the account is created, ADR 0032). A file readable by group or others is refused.
 */
final class AccountKeysFile {
  static final String INFRA = ".requireInfrastructureEncryption";

  private AccountKeysFile() {}

  /** Creates the file (0600) with one account and two random 64-byte keys; fails if it exists. */
  static void create(Path file, String account, SecureRandom random) throws IOException {
    create(file, account, false, random);
  }

  /** As above; {@code requireInfrastructureEncryption} is written as the account's property. */
  static void create(Path file, String account, boolean requireInfrastructureEncryption, SecureRandom random)
      throws IOException {
    Properties p = new Properties();
    if (requireInfrastructureEncryption) {
      p.setProperty(account + INFRA, "true");
    }
    for (String k : List.of("key1", "key2")) {
      byte[] key = new byte[64];
      random.nextBytes(key);
      p.setProperty(account + "." + k, Base64.getEncoder().encodeToString(key));
    }
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try (OutputStream out = Files.newOutputStream(file)) {
      p.store(out, "Cobalt account keys (secret; mode 0600). <account>.key1/.key2 = base64 of the raw key");
    }
  }

  static List<AccountKeys> read(Path file) throws RoleConfigException {
    if (!Files.isRegularFile(file)) {
      throw new RoleConfigException("accounts.file " + file + " does not exist (`cobalt init` writes it)");
    }
    Properties p = new Properties();
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
        throw new RoleConfigException("accounts.file " + file + " is readable by group or others ("
            + PosixFilePermissions.toString(perms) + "); chmod 600 it");
      }
      try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        p.load(in);
      }
    } catch (IOException | IllegalArgumentException e) {
      throw new RoleConfigException("cannot read accounts.file " + file + ": " + e.getClass().getSimpleName());
    }
    Set<String> accounts = new TreeSet<>();
    for (String key : p.stringPropertyNames()) {
      if (key.endsWith(INFRA)) {
        String v = p.getProperty(key).trim();
        if (!v.equals("true") && !v.equals("false")) {
          throw new RoleConfigException("accounts.file " + file + ": " + key + " must be true or false");
        }
        continue;
      }
      if (!key.endsWith(".key1") && !key.endsWith(".key2")) {
        throw new RoleConfigException("accounts.file " + file + ": key '" + key
            + "' is not <account>.key1, .key2 or " + INFRA);
      }
      accounts.add(key.substring(0, key.length() - 5));
    }
    for (String key : p.stringPropertyNames()) {
      if (key.endsWith(INFRA) && !accounts.contains(key.substring(0, key.length() - INFRA.length()))) {
        throw new RoleConfigException("accounts.file " + file + ": " + key + " names an account without keys");
      }
    }
    List<AccountKeys> out = new ArrayList<>();
    for (String account : accounts) {
      String k1 = p.getProperty(account + ".key1");
      if (k1 == null) {
        throw new RoleConfigException("accounts.file " + file + ": account " + account + " has no key1");
      }
      String k2 = p.getProperty(account + ".key2");
      try {
        out.add(new AccountKeys(account, Base64.getDecoder().decode(k1.trim()),
            k2 == null ? null : Base64.getDecoder().decode(k2.trim()),
            "true".equals(p.getProperty(account + INFRA, "false").trim())));
      } catch (IllegalArgumentException e) {
        // never echo the value
        throw new RoleConfigException("accounts.file " + file + ": a key of account " + account + " is not base64");
      }
    }
    if (out.isEmpty()) {
      throw new RoleConfigException("accounts.file " + file + " holds no account");
    }
    return out;
  }
}
