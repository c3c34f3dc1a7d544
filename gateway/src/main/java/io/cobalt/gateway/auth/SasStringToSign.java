package io.cobalt.gateway.auth;

/**
 * The strings-to-sign of key-signed SAS tokens, per signed version {@code sv}, byte for byte as the
 * Azure SDKs build them (Java: {@code BlobSasImplUtil}, {@code AccountSasImplUtil}; Azure's
 * create-service-sas / create-account-sas pages). Fields are joined with {@code \n}; values are the
 * decoded (not URL-encoded) query values, absent ones empty.
 *
 * <p>Service SAS, blob ({@code /blob/<account>/<container>[/<blob>]}):
 *
 * <ul>
 *   <li>2015-04-05 .. 2018-03-28: sp, st, se, resource, si, sip, spr, sv, rscc, rscd, rsce, rscl, rsct
 *   <li>2018-11-09 .. 2020-10-02: sp, st, se, resource, si, sip, spr, sv, sr, snapshot time, rscc..rsct
 *   <li>2020-12-06 and later: as above with ses after the snapshot time
 * </ul>
 *
 * <p>Account SAS: account, sp, ss, srt, st, se, sip, spr, sv, [ses from 2020-12-06], then an empty
 * line (the string ends with {@code \n}).
 */
public final class SasStringToSign {
  /** Oldest service/account SAS version accepted (the first with {@code sip}/{@code spr}). */
  public static final String OLDEST_VERSION = "2015-04-05";
  static final String SR_SNAPSHOT_VERSION = "2018-11-09";
  static final String SES_VERSION = "2020-12-06";

  private SasStringToSign() {}

  /** Whether {@code ses} is part of the signature at version {@code sv}. */
  public static boolean signsEncryptionScope(String sv) {
    return sv.compareTo(SES_VERSION) >= 0;
  }

  /**
   * @param canonicalResource {@code /blob/<account>/<container>[/<blob>]}, names decoded
   * @param snapshotTime the signed snapshot time (empty unless {@code sr=bs})
   */
  public static String service(SasToken t, String canonicalResource, String snapshotTime) {
    StringBuilder s = new StringBuilder(256);
    line(s, t.permissions());
    line(s, t.start());
    line(s, t.expiry());
    line(s, canonicalResource);
    line(s, t.identifier());
    line(s, t.ip());
    line(s, t.protocol());
    line(s, t.version());
    if (t.version().compareTo(SR_SNAPSHOT_VERSION) >= 0) {
      line(s, t.resource());
      line(s, snapshotTime);
      if (signsEncryptionScope(t.version())) {
        line(s, t.encryptionScope());
      }
    }
    line(s, t.cacheControl());
    line(s, t.contentDisposition());
    line(s, t.contentEncoding());
    line(s, t.contentLanguage());
    s.append(orEmpty(t.contentType()));
    return s.toString();
  }

  public static String account(SasToken t, String account) {
    StringBuilder s = new StringBuilder(160);
    line(s, account);
    line(s, t.permissions());
    line(s, t.services());
    line(s, t.resourceTypes());
    line(s, t.start());
    line(s, t.expiry());
    line(s, t.ip());
    line(s, t.protocol());
    line(s, t.version());
    if (signsEncryptionScope(t.version())) {
      line(s, t.encryptionScope());
    }
    return s.toString();
  }

  private static void line(StringBuilder s, String value) {
    s.append(orEmpty(value)).append('\n');
  }

  private static String orEmpty(String v) {
    return v == null ? "" : v;
  }
}
