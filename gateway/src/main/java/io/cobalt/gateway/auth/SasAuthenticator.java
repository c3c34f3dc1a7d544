package io.cobalt.gateway.auth;

import io.cobalt.gateway.AccountKeys;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureException;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.http.HttpDates;
import io.vertx.core.Future;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Authenticates a key-signed shared access signature: a service SAS ({@code sr} = {@code b},
 * {@code bs} for one snapshot, {@code c}; {@code bv} is checked and then answered 404 since Cobalt
 * keeps no versions) or an account SAS ({@code ss}/{@code srt}). In order: the token is well formed
 * (versions from {@value SasStringToSign#OLDEST_VERSION}, ISO-8601 UTC dates, IPv4 {@code sip},
 * {@code spr} https or https,http, known permission letters), the signature matches one of the
 * account keys (constant time), a stored access policy ({@code si}) supplies what the token does
 * not, and the request time lies in [{@code st}, {@code se}) with no skew allowance (as Azure). All
 * of these failures are 403 AuthenticationFailed with Azure's detail text. What the SAS permits
 * (permissions, resource types, services, IP, protocol) is checked afterwards by the authorizer.
 */
final class SasAuthenticator {
  static final String SERVICE_PERMISSIONS = "racwdxyltfmeopi";
  static final String ACCOUNT_PERMISSIONS = "rwdxylacuptfi";
  private static final Pattern VERSION = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");
  private static final int MAX_FIELD_LENGTH = 1024;

  private final StoredAccessPolicies policies;

  SasAuthenticator(StoredAccessPolicies policies) {
    this.policies = policies;
  }

  Future<Principal> authenticate(AzureRequest r, AccountKeys keys, SasToken t) {
    if (t.userDelegation()) {
      throw failed("User delegation SAS is not supported by this endpoint.");
    }
    if (t.version() == null) {
      throw failed("sv is mandatory. Cannot be empty");
    }
    if (!VERSION.matcher(t.version()).matches()) {
      throw malformed();
    }
    if (t.version().compareTo(SasStringToSign.OLDEST_VERSION) < 0) {
      throw failed("SAS version " + t.version() + " is not supported; use " + SasStringToSign.OLDEST_VERSION + " or later.");
    }
    for (String v : new String[] {
        t.permissions(), t.start(), t.expiry(), t.identifier(), t.ip(), t.protocol(), t.encryptionScope(),
        t.cacheControl(), t.contentDisposition(), t.contentEncoding(), t.contentLanguage(), t.contentType()}) {
      if (v != null && v.length() > MAX_FIELD_LENGTH) {
        throw malformed();
      }
    }
    byte[] presented = decodeSignature(t.signature());
    Instant start = t.start() == null ? null : parseTime(t.start());
    Instant expiry = t.expiry() == null ? null : parseTime(t.expiry());
    IpRange ip = null;
    if (t.ip() != null) {
      ip = IpRange.parse(t.ip());
      if (ip == null) {
        throw malformed();
      }
    }
    boolean httpsOnly = httpsOnly(t.protocol());
    String scope = SasStringToSign.signsEncryptionScope(t.version()) ? t.encryptionScope() : null;
    String account = keys.account();
    if (t.resource() != null) {
      return service(r, keys, t, presented, start, expiry, ip, httpsOnly, scope);
    }
    if (t.services() == null && t.resourceTypes() == null) {
      throw failed("sr is mandatory. Cannot be empty");
    }
    // Account SAS: no stored access policies.
    requireLetters(t.services(), "bqtf", "ss");
    requireLetters(t.resourceTypes(), "sco", "srt");
    requireLetters(t.permissions(), ACCOUNT_PERMISSIONS, "sp");
    if (expiry == null) {
      throw failed("se is mandatory. Cannot be empty");
    }
    String toSign = SasStringToSign.account(t, account);
    if (!AccountKeyMac.verify(keys, toSign, presented)) {
      throw signatureMismatch(toSign);
    }
    checkTime(r.received(), start, expiry);
    return Future.succeededFuture(
        new Principal.AccountSas(account, t.services(), t.resourceTypes(), t.permissions(), ip, httpsOnly, scope));
  }

  private Future<Principal> service(
      AzureRequest r, AccountKeys keys, SasToken t, byte[] presented, Instant start, Instant expiry,
      IpRange ip, boolean httpsOnly, String scope) {
    String sr = t.resource();
    boolean oneBlob = sr.equals("b") || sr.equals("bs") || sr.equals("bv");
    if (!oneBlob && !sr.equals("c")) {
      // d (directory): no hierarchical namespace.
      throw failed("Signed resource " + sr + " is not supported by this endpoint.");
    }
    boolean snapshotOrVersion = sr.equals("bs") || sr.equals("bv");
    if (snapshotOrVersion && t.version().compareTo(SasStringToSign.SR_SNAPSHOT_VERSION) < 0) {
      // Before 2018-11-09 the string-to-sign has no sr and no snapshot time: nothing binds the token to one.
      throw failed("Signed resource " + sr + " needs sv " + SasStringToSign.SR_SNAPSHOT_VERSION + " or later.");
    }
    if (t.permissions() != null) {
      requireLetters(t.permissions(), SERVICE_PERMISSIONS, "sp");
    }
    if (t.identifier() == null) {
      if (t.permissions() == null) {
        throw failed("sp is mandatory. Cannot be empty");
      }
      if (expiry == null) {
        throw failed("se is mandatory. Cannot be empty");
      }
    }
    String container = r.path().container();
    String blob = r.path().blob();
    // The signed snapshot time (sr=bs) or version id (sr=bv) is the one the request names: a token
    // signed for one snapshot matches no other snapshot and not the base blob (as Azure).
    String signedSnapshot = sr.equals("bs") ? r.queryParam("snapshot") : sr.equals("bv") ? r.queryParam("versionid") : "";
    if (container == null || (oneBlob && blob == null) || signedSnapshot == null) {
      // The signed resource cannot be this request's: no string-to-sign can match.
      throw failed("Signature did not match: the request does not address the signed resource.");
    }
    String canonical = "/blob/" + keys.account() + "/" + container + (oneBlob ? "/" + blob : "");
    String toSign = SasStringToSign.service(t, canonical, signedSnapshot);
    if (!AccountKeyMac.verify(keys, toSign, presented)) {
      throw signatureMismatch(toSign);
    }
    if (sr.equals("bv")) {
      // Cobalt keeps no blob versions: the signed version can never exist, which Azure answers with
      // 404 BlobNotFound (a version id it does not hold), after the signature was checked.
      throw AzureError.BLOB_NOT_FOUND.exception();
    }
    ResponseHeaderOverrides overrides =
        new ResponseHeaderOverrides(
            t.cacheControl(), t.contentDisposition(), t.contentEncoding(), t.contentLanguage(), t.contentType());
    if (t.identifier() == null) {
      checkTime(r.received(), start, expiry);
      return Future.succeededFuture(
          new Principal.ServiceSas(keys.account(), sr, t.permissions(), ip, httpsOnly, scope, overrides));
    }
    return policies
        .find(r.context(), keys.account(), container, t.identifier())
        .map(
            policy -> {
              if (policy == null) {
                throw failed("The signed identifier " + t.identifier() + " does not name a stored access policy of this container.");
              }
              String permissions = merge(t.permissions(), policy.permissions(), "sp");
              Instant from = merge(start, policy.start(), "st");
              Instant until = merge(expiry, policy.expiry(), "se");
              if (permissions == null) {
                throw failed("sp is mandatory. Cannot be empty");
              }
              if (until == null) {
                throw failed("se is mandatory. Cannot be empty");
              }
              requireLetters(permissions, SERVICE_PERMISSIONS, "sp");
              checkTime(r.received(), from, until);
              return new Principal.ServiceSas(keys.account(), sr, permissions, ip, httpsOnly, scope, overrides);
            });
  }

  /** A field may come from the token or from its stored access policy, never from both (as Azure). */
  private static <T> T merge(T fromToken, T fromPolicy, String name) {
    if (fromToken != null && fromPolicy != null) {
      throw failed(name + " is specified both in the SAS and in its stored access policy.");
    }
    return fromToken != null ? fromToken : fromPolicy;
  }

  static void checkTime(Instant now, Instant start, Instant expiry) {
    if (start != null && !expiry.isAfter(start)) {
      throw failed("Signed expiry time [" + rfc1123(expiry) + "] must be after signed start time [" + rfc1123(start) + "]");
    }
    if (start == null && !now.isBefore(expiry)) {
      throw failed("Signed expiry time [" + rfc1123(expiry) + "] must be after signed start time [" + rfc1123(now) + "]");
    }
    if (start != null && (now.isBefore(start) || !now.isBefore(expiry))) {
      throw failed("Signature not valid in the specified time frame: Start [" + rfc1123(start) + "] - Expiry ["
          + rfc1123(expiry) + "] - Current [" + rfc1123(now) + "]");
    }
  }

  /** ISO-8601 UTC as Azure accepts it: {@code YYYY-MM-DD}, or date and time ending in {@code Z}. */
  static Instant parseTime(String value) {
    try {
      if (value.length() == 10) {
        return LocalDate.parse(value, DateTimeFormatter.ISO_LOCAL_DATE).atStartOfDay(ZoneOffset.UTC).toInstant();
      }
      if (!value.endsWith("Z")) {
        throw malformed();
      }
      return OffsetDateTime.parse(value, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      throw malformed();
    }
  }

  private static boolean httpsOnly(String spr) {
    if (spr == null || spr.equals("https,http")) {
      return false;
    }
    if (spr.equals("https")) {
      return true;
    }
    throw malformed();
  }

  private static void requireLetters(String value, String allowed, String name) {
    if (value == null) {
      throw failed(name + " is mandatory. Cannot be empty");
    }
    if (value.isEmpty()) {
      throw failed(name + " is mandatory. Cannot be empty");
    }
    for (int i = 0; i < value.length(); i++) {
      if (allowed.indexOf(value.charAt(i)) < 0 || value.indexOf(value.charAt(i)) != i) {
        throw malformed();
      }
    }
  }

  private static byte[] decodeSignature(String sig) {
    try {
      byte[] b = Base64.getDecoder().decode(sig);
      if (b.length != 32) {
        throw malformed();
      }
      return b;
    } catch (IllegalArgumentException e) {
      throw malformed();
    }
  }

  private static String rfc1123(Instant t) {
    return HttpDates.rfc1123(t.toEpochMilli());
  }

  static AzureException malformed() {
    return failed("Signature fields not well formed.");
  }

  private static AzureException signatureMismatch(String toSign) {
    // Azure returns the string-to-sign it used: it holds nothing secret and lets a client find its bug.
    return failed("Signature did not match. String to sign used was " + toSign);
  }

  private static AzureException failed(String detail) {
    return AzureError.AUTHENTICATION_FAILED.exception("AuthenticationErrorDetail", detail);
  }
}
