package io.cobalt.cli.admin.http.authz;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's policy, reloadable without a restart, the way the kms-agent reloads its TLS
 * material (ReloadingTlsMaterial): a scheduled check ({@link #reloadIfChanged}) reads the file again
 * and, if the grants it yields differ from those in force, puts them in force for every following
 * request. A file that is missing, too large or does not parse leaves the current policy in force
 * (logged once per distinct problem, with its line number) and is tried again at the next check.
 * Requests already authorized are not re-checked.
 */
public final class ReloadingAdminPolicy {
  private static final Logger LOG = LoggerFactory.getLogger(ReloadingAdminPolicy.class);

  private final Path file;
  private final AdminPolicy.CertificateIdentities certificates;
  private volatile AdminPolicy current;
  private String lastProblem;

  private ReloadingAdminPolicy(Path file, AdminPolicy.CertificateIdentities certificates, AdminPolicy first) {
    this.file = file;
    this.certificates = certificates;
    this.current = first;
  }

  /** A policy that never changes (no file). */
  public static ReloadingAdminPolicy fixed(AdminPolicy policy) {
    return new ReloadingAdminPolicy(null, null, policy);
  }

  /** Loads {@code file}; refused as a whole, with the line number, if it does not parse. */
  public static ReloadingAdminPolicy load(Path file, AdminPolicy.CertificateIdentities certificates)
      throws AdminPolicyException {
    Objects.requireNonNull(file, "file");
    return new ReloadingAdminPolicy(file, certificates, read(file, certificates));
  }

  /** The policy in force now. */
  public AdminPolicy current() {
    return current;
  }

  /** The file it reloads from; null for a fixed policy. */
  public Path file() {
    return file;
  }

  /** Reads the file again; true if its grants differ from those in force and are now in force. */
  public synchronized boolean reloadIfChanged() {
    if (file == null) {
      return false;
    }
    AdminPolicy next;
    try {
      next = read(file, certificates);
    } catch (AdminPolicyException e) {
      if (!e.getMessage().equals(lastProblem)) {
        lastProblem = e.getMessage();
        LOG.warn("admin policy not reloaded; the previous one stays in force: {}", e.getMessage());
      }
      return false;
    }
    lastProblem = null;
    if (new HashSet<>(next.grants()).equals(new HashSet<>(current.grants()))) {
      return false;
    }
    current = next;
    LOG.info("admin policy reloaded from {}: {} grants", file, next.grants().size());
    return true;
  }

  private static AdminPolicy read(Path file, AdminPolicy.CertificateIdentities certificates)
      throws AdminPolicyException {
    String text;
    try (InputStream in = Files.newInputStream(file)) {
      byte[] bytes = in.readNBytes(AdminPolicy.MAX_FILE_BYTES + 1);
      if (bytes.length > AdminPolicy.MAX_FILE_BYTES) {
        throw new AdminPolicyException(file + ": larger than " + AdminPolicy.MAX_FILE_BYTES + " bytes");
      }
      text = new String(bytes, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AdminPolicyException(file + ": cannot read: " + e.getMessage());
    }
    return AdminPolicy.parse(file.toString(), text, certificates);
  }
}
