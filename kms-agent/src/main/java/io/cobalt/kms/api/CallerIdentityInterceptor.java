package io.cobalt.kms.api;

import io.cobalt.crypto.tls.TlsMaterial;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Puts the caller's identity — hex SHA-256 of the SubjectPublicKeyInfo of its TLS client
 * certificate — into the call's {@link Context}. A call without a verified client certificate is
 * closed UNAUTHENTICATED (the server requires client certificates, so this is a second line).
 */
public final class CallerIdentityInterceptor implements ServerInterceptor {
  static final Context.Key<String> CALLER = Context.key("cobalt-kms-caller");

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String identity = identityOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    if (identity == null) {
      call.close(Status.UNAUTHENTICATED.withDescription("a client certificate is required"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(Context.current().withValue(CALLER, identity), call, headers, next);
  }

  private static String identityOf(SSLSession session) {
    if (session == null) {
      return null;
    }
    try {
      Certificate[] peer = session.getPeerCertificates();
      return peer.length == 0 ? null : TlsMaterial.identityOf(peer[0]);
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }
}
