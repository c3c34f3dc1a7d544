package io.cobalt.cli.admin.http.authz;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The admin API's grants, at most one per identity. Deny by default: an identity without a grant
 * may do nothing, a grant allows only the operations it names on the keys it covers.
 *
 * <p>File format ({@link #parse}), one grant per line, {@code #} starts a comment:
 *
 * <pre>
 * grant NAME (identity=HEX | cert=CERT) operations=OP[,OP...] [keys=PATTERN[,PATTERN...]]
 * </pre>
 *
 * {@code identity} is the hex SHA-256 of the certificate's SubjectPublicKeyInfo; {@code cert} names
 * {@code <tls-dir>/CERT.pem} instead (read again at each reload, so a renewed certificate with a new
 * key keeps its grant). Operations are names of {@link AdminOperation} ({@code keys.rotate}) or
 * groups: {@code read}, {@code keys}, {@code key-sources}, {@code jobs}, {@code *}. {@code keys}
 * defaults to {@code *}. Anything else — an unknown word, operation or certificate, a malformed
 * identity or pattern, an identity or name granted twice — refuses the whole file with its line
 * number.
 */
public final class AdminPolicy {
  /** Files beyond this size are refused (a policy is a few lines). */
  public static final int MAX_FILE_BYTES = 256 * 1024;
  /** Grants beyond this number are refused. */
  public static final int MAX_GRANTS = 10_000;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  /** Resolves {@code cert=NAME} to an identity. */
  @FunctionalInterface
  public interface CertificateIdentities {
    /** The identity of the certificate {@code name} ({@code <tls-dir>/<name>.pem}); IOException if unreadable. */
    String identityOf(String name) throws IOException;
  }

  private final Map<String, AdminGrant> grants;

  private AdminPolicy(Map<String, AdminGrant> grants) {
    this.grants = Map.copyOf(grants);
  }

  /** A policy of these grants; one per identity and name. */
  public static AdminPolicy of(Collection<AdminGrant> grants) {
    Map<String, AdminGrant> m = new HashMap<>();
    Set<String> names = new HashSet<>();
    for (AdminGrant g : grants) {
      if (!names.add(g.name())) {
        throw new IllegalArgumentException("grant name " + g.name() + " is used twice");
      }
      if (m.put(g.identity(), g) != null) {
        throw new IllegalArgumentException("identity of grant " + g.name() + " has more than one grant");
      }
    }
    return new AdminPolicy(m);
  }

  /** Every operation on every key for each of {@code identities} (the allow-list form, ADR 0033). */
  public static AdminPolicy everythingFor(Collection<String> identities) {
    List<AdminGrant> out = new ArrayList<>();
    int n = 0;
    for (String id : identities) {
      out.add(AdminGrant.everything("allowed-" + (++n), id));
    }
    return of(out);
  }

  /** The grant of {@code identity}, if it has one. */
  public Optional<AdminGrant> grantOf(String identity) {
    return Optional.ofNullable(identity == null ? null : grants.get(identity));
  }

  public Collection<AdminGrant> grants() {
    return grants.values();
  }

  /**
   * Parses a policy file's text. {@code source} names it in messages; {@code certificates} resolves
   * {@code cert=NAME}. Messages name the line and never echo an identity or a whole line.
   */
  public static AdminPolicy parse(String source, String text, CertificateIdentities certificates)
      throws AdminPolicyException {
    if (text.length() > MAX_FILE_BYTES) {
      throw new AdminPolicyException(source + ": larger than " + MAX_FILE_BYTES + " bytes");
    }
    List<AdminGrant> out = new ArrayList<>();
    Map<String, Integer> identityLine = new HashMap<>();
    Map<String, Integer> nameLine = new HashMap<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      int lineNo = i + 1;
      String line = lines[i];
      int hash = line.indexOf('#');
      if (hash >= 0) {
        line = line.substring(0, hash);
      }
      line = line.strip();
      if (line.isEmpty()) {
        continue;
      }
      String at = source + " line " + lineNo + ": ";
      String[] words = line.split("\\s+");
      if (!words[0].equals("grant")) {
        throw new AdminPolicyException(at + "a line starts with \"grant\" (grant NAME identity=HEX|cert=NAME"
            + " operations=OP,... [keys=PATTERN,...])");
      }
      if (words.length < 2 || words[1].contains("=") || !NAME.matcher(words[1]).matches()) {
        throw new AdminPolicyException(at + "\"grant\" is followed by a name (letters, digits, _ . -)");
      }
      String name = words[1];
      String identity = null;
      Set<AdminOperation> ops = null;
      List<String> keys = null;
      for (int w = 2; w < words.length; w++) {
        int eq = words[w].indexOf('=');
        String key = eq < 0 ? words[w] : words[w].substring(0, eq);
        String value = eq < 0 ? "" : words[w].substring(eq + 1);
        if (eq < 0 || value.isEmpty()) {
          throw new AdminPolicyException(at + "expected key=value, found \"" + key + "\"");
        }
        switch (key) {
          case "identity", "cert" -> {
            if (identity != null) {
              throw new AdminPolicyException(at + "give identity= or cert= once");
            }
            identity = key.equals("identity") ? value : certificate(at, value, certificates);
          }
          case "operations" -> {
            if (ops != null) {
              throw new AdminPolicyException(at + "operations= given twice");
            }
            ops = EnumSet.noneOf(AdminOperation.class);
            for (String op : value.split(",", -1)) {
              Optional<Set<AdminOperation>> named = AdminOperation.byName(op);
              if (named.isEmpty()) {
                throw new AdminPolicyException(at + "unknown operation \"" + op + "\" (operations: "
                    + operationNames() + "; groups: read, keys, key-sources, jobs, *)");
              }
              ops.addAll(named.get());
            }
          }
          case "keys" -> {
            if (keys != null) {
              throw new AdminPolicyException(at + "keys= given twice");
            }
            keys = List.of(value.split(",", -1));
          }
          default -> throw new AdminPolicyException(at + "unknown setting \"" + key
              + "\" (identity, cert, operations, keys)");
        }
      }
      if (identity == null) {
        throw new AdminPolicyException(at + "grant " + name + " needs identity=HEX or cert=NAME");
      }
      if (ops == null) {
        throw new AdminPolicyException(at + "grant " + name + " needs operations=... (deny by default)");
      }
      AdminGrant g;
      try {
        g = new AdminGrant(name, identity, ops, keys == null ? List.of("*") : keys);
      } catch (IllegalArgumentException e) {
        throw new AdminPolicyException(at + e.getMessage());
      }
      Integer earlier = identityLine.putIfAbsent(g.identity(), lineNo);
      if (earlier != null) {
        throw new AdminPolicyException(at + "this identity already has a grant (line " + earlier
            + "); one grant per identity");
      }
      earlier = nameLine.putIfAbsent(name, lineNo);
      if (earlier != null) {
        throw new AdminPolicyException(at + "grant name " + name + " is already used (line " + earlier + ")");
      }
      if (out.size() == MAX_GRANTS) {
        throw new AdminPolicyException(at + "more than " + MAX_GRANTS + " grants");
      }
      out.add(g);
    }
    return of(out);
  }

  private static String certificate(String at, String name, CertificateIdentities certificates)
      throws AdminPolicyException {
    if (!NAME.matcher(name).matches() || name.startsWith(".")) {
      throw new AdminPolicyException(at + "cert= names a certificate file in the TLS directory (letters, digits,"
          + " _ . -), without .pem");
    }
    try {
      return certificates.identityOf(name);
    } catch (IOException | RuntimeException e) {
      throw new AdminPolicyException(at + "cannot read certificate " + name + ".pem: " + e.getMessage());
    }
  }

  private static String operationNames() {
    List<String> names = new ArrayList<>();
    for (AdminOperation op : AdminOperation.values()) {
      names.add(op.wireName());
    }
    return String.join(", ", names);
  }

  /**
   * The policy {@code cobalt init} writes: the operator's certificate {@code certName} may do
   * everything; further grants are examples, commented out.
   */
  public static String operatorPolicy(String certName) {
    return """
        # Who may use the HTTPS admin API (`cobalt admin serve --policy FILE`; ADR 0041).
        # Deny by default: a client certificate of the cluster CA without a grant here gets 403.
        # Reloaded while the server runs (checked every few seconds); a file that does not parse
        # is refused with its line number and the previous policy stays in force.
        #
        # grant NAME (identity=HEX | cert=CERT) operations=OP[,OP...] [keys=PATTERN[,PATTERN...]]
        #   identity: hex SHA-256 of the certificate's SubjectPublicKeyInfo; cert: <tls-dir>/CERT.pem
        #   operations: keys.read keys.create keys.rotate keys.disable keys.enable keys.delete
        #     keys.import key-sources.read key-sources.set jobs.read jobs.rewrap audit.verify,
        #     or groups: read, keys, key-sources, jobs, *
        #   keys: key ids, prefixes ending in *, or * (default); accounts and scopes are checked as
        #     account/<a> and account/<a>/scope/<s>
        grant operator cert=%s operations=* keys=*
        # grant dashboard cert=dashboard operations=read
        # grant team-a cert=team-a operations=keys,jobs keys=cmk/team-a-*
        """.formatted(certName);
  }
}
