package io.cobalt.gateway.auth;

import io.cobalt.gateway.AccountKeys;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.http.HttpDates;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Authenticates a request by Shared Key or Shared Key Lite ({@code Authorization: SharedKey
 * account:signature}). Both account keys are tried; signatures are compared in constant time. The
 * signer must be the account the path names. Requests dated more than 15 minutes from the server
 * clock, either way, are refused (replay window, as Azure). Nothing secret is logged or put into
 * errors. Called by {@link RequestAuthenticator} only when an Authorization header is present.
 */
public final class SharedKeyAuthenticator {
  static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(15);
  private static final int MAX_AUTHORIZATION_LENGTH = 512;

  private final Map<String, AccountKeys> accounts = new HashMap<>();
  private final Clock clock;

  public SharedKeyAuthenticator(List<AccountKeys> accounts, Clock clock) {
    for (AccountKeys a : accounts) {
      this.accounts.put(a.account(), a);
    }
    this.clock = clock;
  }

  /**
   * @return the authenticated account name (== the path's account)
   * @throws io.cobalt.gateway.http.AzureException AuthenticationFailed, InvalidOperation (unknown account)
   */
  public String authenticate(AzureRequest request) {
    return authenticate(request, false);
  }

  /** As {@link #authenticate(AzureRequest)}, with the Table service's strings-to-sign. */
  public String authenticateTable(AzureRequest request) {
    return authenticate(request, true);
  }

  private String authenticate(AzureRequest request, boolean table) {
    String account = request.path().account();
    AccountKeys keys = accounts.get(account);
    if (keys == null) {
      throw AzureError.INVALID_STORAGE_ACCOUNT.exception();
    }
    String authorization = request.header("Authorization");
    if (authorization == null) {
      throw AzureError.AUTHENTICATION_FAILED.exception(
          "AuthenticationErrorDetail", "The Authorization header is missing.");
    }
    if (authorization.length() > MAX_AUTHORIZATION_LENGTH) {
      throw AzureError.AUTHENTICATION_FAILED.exception();
    }
    int space = authorization.indexOf(' ');
    int colon = authorization.lastIndexOf(':');
    if (space < 0 || colon < space) {
      throw AzureError.INVALID_AUTHENTICATION_INFO.exception();
    }
    String scheme = authorization.substring(0, space);
    String signer = authorization.substring(space + 1, colon).trim();
    String signature = authorization.substring(colon + 1).trim();
    boolean lite;
    if (scheme.equals("SharedKey")) {
      lite = false;
    } else if (scheme.equals("SharedKeyLite")) {
      lite = true;
    } else {
      throw AzureError.INVALID_AUTHENTICATION_INFO.exception();
    }
    if (!signer.equals(account)) {
      throw AzureError.AUTHENTICATION_FAILED.exception(
          "AuthenticationErrorDetail", "The account in the Authorization header does not match the request URI.");
    }
    byte[] presented;
    try {
      presented = Base64.getDecoder().decode(signature);
    } catch (IllegalArgumentException e) {
      throw AzureError.AUTHENTICATION_FAILED.exception();
    }
    checkDate(request);
    String verb = request.method().name();
    String toSign = table
        ? (lite
            ? SharedKeyStringToSign.tableSharedKeyLite(
                verb, request.http().headers(), account, request.path().rawPath(), request.query())
            : SharedKeyStringToSign.tableSharedKey(
                verb, request.http().headers(), account, request.path().rawPath(), request.query()))
        : lite
            ? SharedKeyStringToSign.sharedKeyLite(
                verb, request.http().headers(), account, request.path().rawPath(), request.query())
            : SharedKeyStringToSign.sharedKey(
                verb, request.http().headers(), account, request.path().rawPath(), request.query());
    boolean ok = AccountKeyMac.verify(keys, toSign, presented);
    if (!ok) {
      throw AzureError.AUTHENTICATION_FAILED.exception(
          "AuthenticationErrorDetail",
          "The MAC signature found in the HTTP request is not the same as any computed signature.");
    }
    return account;
  }

  private void checkDate(AzureRequest request) {
    String date = request.header("x-ms-date");
    if (date == null) {
      date = request.header("Date");
    }
    if (date == null) {
      throw AzureError.AUTHENTICATION_FAILED.exception(
          "AuthenticationErrorDetail", "Request date header not specified.");
    }
    Instant when = HttpDates.parseRfc1123(date);
    if (when == null) {
      throw AzureError.AUTHENTICATION_FAILED.exception(
          "AuthenticationErrorDetail", "The Date header in the request is incorrect.");
    }
    Duration skew = Duration.between(when, clock.instant()).abs();
    if (skew.compareTo(MAX_CLOCK_SKEW) > 0) {
      throw AzureError.AUTHENTICATION_FAILED.exception(
          "AuthenticationErrorDetail", "Request date header too old or too far in the future.");
    }
  }
}
