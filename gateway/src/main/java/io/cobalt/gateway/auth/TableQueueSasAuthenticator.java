package io.cobalt.gateway.auth;

import io.cobalt.gateway.AccountKeys;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureException;
import io.cobalt.gateway.http.AzureRequest;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Authenticates a key-signed SAS on the Table and Queue endpoints: a table service SAS
 * ({@code tn}, permissions {@code raud}, optional key range {@code spk}/{@code srk}/{@code epk}/
 * {@code erk}), a queue service SAS (the queue of the path, permissions {@code raup}), or an account
 * SAS whose {@code ss} holds {@code t} (Table) or {@code q} (Queue). The strings-to-sign are the
 * SDKs' (azure-data-tables TableSasGenerator, azure-storage-queue QueueSasImplUtil):
 *
 * <ul>
 *   <li>table: sp, st, se, {@code /table/<account>/<tn>} lower-cased, si, sip, spr, sv, spk, srk, epk, erk
 *   <li>queue: sp, st, se, {@code /queue/<account>/<queue>}, si, sip, spr, sv
 *   <li>account: as the Blob endpoint's ({@link SasStringToSign#account})
 * </ul>
 *
 * Failures are the Blob endpoint's: 403 AuthenticationFailed with Azure's detail (malformed, bad
 * signature, outside its time window), AuthorizationSourceIPMismatch, AuthorizationProtocolMismatch,
 * AuthorizationServiceMismatch. A service SAS may name a stored access policy of its table or
 * queue ({@code si}, Set Table/Queue ACL), looked up through a {@link PolicyLookup}.
 */
public final class TableQueueSasAuthenticator {
  /** The Table or Queue service. */
  public enum Service {
    TABLE('t', "raud", "/table/"),
    QUEUE('q', "raup", "/queue/");

    final char letter;
    final String servicePermissions;
    final String canonicalPrefix;

    Service(char letter, String servicePermissions, String canonicalPrefix) {
      this.letter = letter;
      this.servicePermissions = servicePermissions;
      this.canonicalPrefix = canonicalPrefix;
    }
  }

  private static final Pattern VERSION = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");
  private static final int MAX_FIELD_LENGTH = 1024;

  private TableQueueSasAuthenticator() {}

  /** Whether {@code r} carries a SAS (a {@code sig} parameter). */
  public static boolean hasSas(AzureRequest r) {
    return r.queryParam("sig") != null;
  }

  /** Where a service SAS's {@code si} is looked up: the ACL of its table or queue. */
  @FunctionalInterface
  public interface PolicyLookup {
    /** The stored access policy {@code identifier} of table or queue {@code resource}, or a future of null. */
    Future<StoredAccessPolicy> find(AzureRequest r, String resource, String identifier);
  }

  /**
   * Verifies the SAS of {@code r} for {@code keys}' account; what it allows. A service SAS naming a
   * stored access policy ({@code si}) takes from it what it does not carry itself (never both).
   */
  public static Future<SasAccess> authenticate(AzureRequest r, AccountKeys keys, Service service,
      PolicyLookup policies) {
    SasToken t = SasToken.of(r);
    String tn = one(r, "tn");
    String spk = one(r, "spk");
    String srk = one(r, "srk");
    String epk = one(r, "epk");
    String erk = one(r, "erk");
    if (t.userDelegation()) {
      throw failed("User delegation SAS is not supported by this endpoint.");
    }
    if (t.version() == null) {
      throw failed("sv is mandatory. Cannot be empty");
    }
    if (!VERSION.matcher(t.version()).matches()) {
      throw SasAuthenticator.malformed();
    }
    if (t.version().compareTo(SasStringToSign.OLDEST_VERSION) < 0) {
      throw failed("SAS version " + t.version() + " is not supported; use " + SasStringToSign.OLDEST_VERSION
          + " or later.");
    }
    for (String v : new String[] {t.permissions(), t.start(), t.expiry(), t.identifier(), t.ip(), t.protocol(),
        t.encryptionScope(), tn, spk, srk, epk, erk}) {
      if (v != null && v.length() > MAX_FIELD_LENGTH) {
        throw SasAuthenticator.malformed();
      }
    }
    byte[] presented = decodeSignature(t.signature());
    Instant start = t.start() == null ? null : SasAuthenticator.parseTime(t.start());
    Instant expiry = t.expiry() == null ? null : SasAuthenticator.parseTime(t.expiry());
    IpRange ip = null;
    if (t.ip() != null) {
      ip = IpRange.parse(t.ip());
      if (ip == null) {
        throw SasAuthenticator.malformed();
      }
    }
    boolean httpsOnly = httpsOnly(t.protocol());
    String account = keys.account();
    if (t.services() != null || t.resourceTypes() != null) {
      requireLetters(t.services(), "bqtf", "ss");
      requireLetters(t.resourceTypes(), "sco", "srt");
      requireLetters(t.permissions(), SasAuthenticator.ACCOUNT_PERMISSIONS, "sp");
      if (expiry == null) {
        throw failed("se is mandatory. Cannot be empty");
      }
      String toSign = SasStringToSign.account(t, account);
      if (!AccountKeyMac.verify(keys, toSign, presented)) {
        throw signatureMismatch(toSign);
      }
      SasAuthenticator.checkTime(r.received(), start, expiry);
      if (t.services().indexOf(service.letter) < 0) {
        throw AzureError.AUTHORIZATION_SERVICE_MISMATCH.exception();
      }
      checkSource(r, ip, httpsOnly);
      return Future.succeededFuture(
          new SasAccess(true, t.permissions(), t.resourceTypes(), null, null, null, null, null));
    }
    if (t.permissions() != null) {
      requireLetters(t.permissions(), service.servicePermissions, "sp");
    }
    if (t.identifier() == null) {
      if (t.permissions() == null) {
        throw failed("sp is mandatory. Cannot be empty");
      }
      if (expiry == null) {
        throw failed("se is mandatory. Cannot be empty");
      }
    }
    String resource;
    String toSign;
    if (service == Service.TABLE) {
      if (tn == null || tn.isEmpty()) {
        throw failed("tn is mandatory. Cannot be empty");
      }
      if ((srk != null && spk == null) || (erk != null && epk == null)) {
        throw SasAuthenticator.malformed();                   // a RowKey bound needs its PartitionKey bound
      }
      resource = tn;
      toSign = String.join("\n", orEmpty(t.permissions()), orEmpty(t.start()), orEmpty(t.expiry()),
          (service.canonicalPrefix + account + "/" + tn).toLowerCase(Locale.ROOT), orEmpty(t.identifier()),
          orEmpty(t.ip()), orEmpty(t.protocol()), t.version(), orEmpty(spk), orEmpty(srk), orEmpty(epk),
          orEmpty(erk));
    } else {
      String queue = r.path().container();
      if (queue == null) {
        throw failed("Signature did not match: the request does not address the signed resource.");
      }
      resource = queue;
      toSign = String.join("\n", orEmpty(t.permissions()), orEmpty(t.start()), orEmpty(t.expiry()),
          service.canonicalPrefix + account + "/" + queue, orEmpty(t.identifier()), orEmpty(t.ip()),
          orEmpty(t.protocol()), t.version());
    }
    if (!AccountKeyMac.verify(keys, toSign, presented)) {
      throw signatureMismatch(toSign);
    }
    IpRange sip = ip;
    if (t.identifier() == null) {
      SasAuthenticator.checkTime(r.received(), start, expiry);
      checkSource(r, sip, httpsOnly);
      return Future.succeededFuture(new SasAccess(false, t.permissions(), null, resource, spk, srk, epk, erk));
    }
    return policies.find(r, resource, t.identifier()).map(policy -> {
      if (policy == null) {
        throw failed("The signed identifier " + t.identifier() + " does not name a stored access policy of "
            + resource + ".");
      }
      String permissions = merge(t.permissions(), policy.permissions(), "sp");
      Instant from = merge(start, policy.start(), "st");
      Instant until = merge(expiry, policy.expiry(), "se");
      if (permissions == null || permissions.isEmpty()) {
        throw failed("sp is mandatory. Cannot be empty");
      }
      if (until == null) {
        throw failed("se is mandatory. Cannot be empty");
      }
      requireLetters(permissions, service.servicePermissions, "sp");
      SasAuthenticator.checkTime(r.received(), from, until);
      checkSource(r, sip, httpsOnly);
      return new SasAccess(false, permissions, null, resource, spk, srk, epk, erk);
    });
  }

  /** A field may come from the token or from its stored access policy, never from both (as Azure). */
  private static <T> T merge(T fromToken, T fromPolicy, String name) {
    if (fromToken != null && fromPolicy != null) {
      throw failed(name + " is specified both in the SAS and in its stored access policy.");
    }
    return fromToken != null ? fromToken : fromPolicy;
  }

  private static void checkSource(AzureRequest r, IpRange ip, boolean httpsOnly) {
    if (ip != null && !ip.contains(r.remoteIp())) {
      throw AzureError.AUTHORIZATION_SOURCE_IP_MISMATCH.exceptionWithMessage(
          "This request is not authorized to perform this operation using this source IP " + r.remoteIp() + ".");
    }
    if (httpsOnly && !r.secure()) {
      throw AzureError.AUTHORIZATION_PROTOCOL_MISMATCH.exception();
    }
  }

  private static String one(AzureRequest r, String name) {
    List<String> values = r.query().get(name);
    if (values == null || values.isEmpty()) {
      return null;
    }
    if (values.size() > 1) {
      throw SasAuthenticator.malformed();
    }
    return values.get(0);
  }

  private static boolean httpsOnly(String spr) {
    if (spr == null || spr.equals("https,http")) {
      return false;
    }
    if (spr.equals("https")) {
      return true;
    }
    throw SasAuthenticator.malformed();
  }

  private static void requireLetters(String value, String allowed, String name) {
    if (value == null || value.isEmpty()) {
      throw failed(name + " is mandatory. Cannot be empty");
    }
    for (int i = 0; i < value.length(); i++) {
      if (allowed.indexOf(value.charAt(i)) < 0 || value.indexOf(value.charAt(i)) != i) {
        throw SasAuthenticator.malformed();
      }
    }
  }

  private static byte[] decodeSignature(String sig) {
    try {
      byte[] b = java.util.Base64.getDecoder().decode(sig);
      if (b.length != 32) {
        throw SasAuthenticator.malformed();
      }
      return b;
    } catch (IllegalArgumentException e) {
      throw SasAuthenticator.malformed();
    }
  }

  private static String orEmpty(String v) {
    return v == null ? "" : v;
  }

  private static AzureException signatureMismatch(String toSign) {
    return failed("Signature did not match. String to sign used was " + toSign);
  }

  private static AzureException failed(String detail) {
    return AzureError.AUTHENTICATION_FAILED.exception("AuthenticationErrorDetail", detail);
  }
}
