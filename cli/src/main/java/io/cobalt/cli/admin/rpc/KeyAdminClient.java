package io.cobalt.cli.admin.rpc;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.proto.kms.v1.CreateKeyRequest;
import io.cobalt.proto.kms.v1.DekCensusCount;
import io.cobalt.proto.kms.v1.DekCensusReport;
import io.cobalt.proto.kms.v1.DekCensusRequest;
import io.cobalt.proto.kms.v1.DekCensusResponse;
import io.cobalt.proto.kms.v1.RewrapRequest;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.cobalt.proto.kms.v1.GetImportKeyRequest;
import io.cobalt.proto.kms.v1.GetImportKeyResponse;
import io.cobalt.proto.kms.v1.GetKeyRequest;
import io.cobalt.proto.kms.v1.GetKeyResponse;
import io.cobalt.proto.kms.v1.ImportKeyRequest;
import io.cobalt.proto.kms.v1.KeyAdminGrpc;
import io.cobalt.proto.kms.v1.KeyAgentGrpc;
import io.cobalt.proto.kms.v1.KeySourceGetRequest;
import io.cobalt.proto.kms.v1.KeySourceInfo;
import io.cobalt.proto.kms.v1.KeySourceSetRequest;
import io.cobalt.proto.kms.v1.ListKeysRequest;
import io.cobalt.proto.kms.v1.ListKeysResponse;
import io.cobalt.proto.kms.v1.PurgeKeyRequest;
import io.cobalt.proto.kms.v1.RecoverKeyRequest;
import io.cobalt.proto.kms.v1.RotateKeyRequest;
import io.cobalt.proto.kms.v1.ScheduleKeyDeletionRequest;
import io.cobalt.proto.kms.v1.SetKeyVersionStateRequest;
import io.cobalt.proto.kms.v1.SetMinimumDecryptionVersionRequest;
import io.cobalt.proto.kms.v1.SetRotationPolicyRequest;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The operator's client of a kms-agent's {@code KeyAdmin} (and {@code GetKey}) over mutual TLS.
 * Every failure becomes a {@link KeyAdminException} with one readable line; no gRPC type leaves here.
 */
public final class KeyAdminClient implements AutoCloseable {
  static final Metadata.Key<String> CODE_TRAILER = Metadata.Key.of("cobalt-kms-code", Metadata.ASCII_STRING_MARSHALLER);
  private static final long DEADLINE_SECONDS = 30;

  private final ManagedChannel channel;
  private final String target;

  private KeyAdminClient(ManagedChannel channel, String target) {
    this.channel = channel;
    this.target = target;
  }

  /** A client of the agent at {@code host:port} presenting {@code tls}'s certificate and trusting only its CA. */
  public static KeyAdminClient connect(String hostPort, TlsMaterial tls) throws KeyAdminException {
    int colon = hostPort.lastIndexOf(':');
    int port;
    try {
      port = colon < 1 ? -1 : Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 1 || port > 65_535) {
      throw new KeyAdminException("--kms must be host:port, not " + hostPort, "USAGE");
    }
    String host = hostPort.substring(0, colon);
    ManagedChannel ch = Grpc.newChannelBuilderForAddress(host, port, TlsChannelCredentials.newBuilder()
        .keyManager(tls.keyManagers()).trustManager(tls.trustManagers()).build()).build();
    return new KeyAdminClient(ch, hostPort);
  }

  public GetKeyResponse create(String keyId, String backend) throws KeyAdminException {
    return call(() -> admin().createKey(CreateKeyRequest.newBuilder().setKeyId(keyId).setBackend(backend).build()));
  }

  public GetKeyResponse rotate(String keyId) throws KeyAdminException {
    return call(() -> admin().rotateKey(RotateKeyRequest.newBuilder().setKeyId(keyId).build()));
  }

  public GetKeyResponse describe(String keyId) throws KeyAdminException {
    return call(() -> KeyAgentGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
        .getKey(GetKeyRequest.newBuilder().setKeyId(keyId).build()));
  }

  /** Every key with the prefix that the caller may see, following pages. */
  public List<GetKeyResponse> list(String prefix) throws KeyAdminException {
    List<GetKeyResponse> out = new ArrayList<>();
    String token = "";
    do {
      String t = token;
      ListKeysResponse page = call(() -> admin().listKeys(ListKeysRequest.newBuilder().setPrefix(prefix)
          .setPageSize(500).setPageToken(t).build()));
      out.addAll(page.getKeysList());
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return out;
  }

  public GetKeyResponse setVersionState(String keyId, int version, boolean enabled) throws KeyAdminException {
    return call(() -> admin().setKeyVersionState(SetKeyVersionStateRequest.newBuilder().setKeyId(keyId)
        .setVersion(version).setEnabled(enabled).build()));
  }

  public GetKeyResponse setMinDecryptionVersion(String keyId, int version) throws KeyAdminException {
    return call(() -> admin().setMinimumDecryptionVersion(SetMinimumDecryptionVersionRequest.newBuilder()
        .setKeyId(keyId).setVersion(version).build()));
  }

  public GetKeyResponse setRotationPeriod(String keyId, long seconds) throws KeyAdminException {
    return call(() -> admin().setRotationPolicy(SetRotationPolicyRequest.newBuilder().setKeyId(keyId)
        .setRotationPeriodSeconds(seconds).build()));
  }

  public GetKeyResponse scheduleDeletion(String keyId, int retentionDays, boolean purgeProtection)
      throws KeyAdminException {
    return call(() -> admin().scheduleKeyDeletion(ScheduleKeyDeletionRequest.newBuilder().setKeyId(keyId)
        .setRetentionDays(retentionDays).setPurgeProtection(purgeProtection).build()));
  }

  public GetKeyResponse recover(String keyId) throws KeyAdminException {
    return call(() -> admin().recoverKey(RecoverKeyRequest.newBuilder().setKeyId(keyId).build()));
  }

  public GetKeyResponse purge(String keyId) throws KeyAdminException {
    return call(() -> admin().purgeKey(PurgeKeyRequest.newBuilder().setKeyId(keyId).build()));
  }

  public GetImportKeyResponse importKey() throws KeyAdminException {
    return call(() -> admin().getImportKey(GetImportKeyRequest.getDefaultInstance()));
  }

  public GetKeyResponse importKey(String keyId, String backend, byte[] envelope, String fingerprint)
      throws KeyAdminException {
    return call(() -> admin().importKey(ImportKeyRequest.newBuilder().setKeyId(keyId).setBackend(backend)
        .setWrappedMaterial(ByteString.copyFrom(envelope)).setImportKeyFingerprint(fingerprint).build()));
  }

  public GetKeyResponse setVersionState(String keyId, int version, boolean enabled, boolean force)
      throws KeyAdminException {
    return call(() -> admin().setKeyVersionState(SetKeyVersionStateRequest.newBuilder().setKeyId(keyId)
        .setVersion(version).setEnabled(enabled).setForce(force).build()));
  }

  public GetKeyResponse setMinDecryptionVersion(String keyId, int version, boolean force) throws KeyAdminException {
    return call(() -> admin().setMinimumDecryptionVersion(SetMinimumDecryptionVersionRequest.newBuilder()
        .setKeyId(keyId).setVersion(version).setForce(force).build()));
  }

  /** The same DEK wrapped under the key's primary version (data-path RPC; needs the REWRAP grant). */
  public WrappedKey rewrap(String account, WrappedKey wrapped, String requestId) throws KeyAdminException {
    return call(() -> KeyAgentGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
        .rewrap(RewrapRequest.newBuilder().setAccount(account).setWrapped(wrapped).setRequestId(requestId).build())
        .getWrapped());
  }

  /** Rewraps under the current key source of {@code ownerKeyId} (ADR 0031; "" = the same key's newest version). */
  public WrappedKey rewrap(String account, WrappedKey wrapped, String requestId, String ownerKeyId)
      throws KeyAdminException {
    return call(() -> KeyAgentGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
        .rewrap(RewrapRequest.newBuilder().setAccount(account).setWrapped(wrapped).setRequestId(requestId)
            .setOwnerKeyId(ownerKeyId).build())
        .getWrapped());
  }

  /** The key source of an account ({@code scope} "") or scope (ADR 0031). */
  public KeySourceInfo keySource(String account, String scope) throws KeyAdminException {
    return call(() -> admin().keySourceGet(KeySourceGetRequest.newBuilder().setAccount(account).setScope(scope).build()));
  }

  /** Sets the key source of an account ({@code scope} "") or scope (ADR 0031). */
  public KeySourceInfo setKeySource(KeySourceSetRequest request) throws KeyAdminException {
    return call(() -> admin().keySourceSet(request));
  }

  /** One key event as the runner needs it. */
  public interface KeyEventHandler {
    void onEvent(String kind, String keyId, long epochMillis) throws java.io.IOException;
  }

  /**
   * Subscribes to the agent's key events (ADR 0014) and hands each to {@code handler} on this
   * thread until the stream fails (thrown) — it never ends on its own. RESYNC comes first.
   */
  public void followKeyEvents(String subscriber, KeyEventHandler handler) throws KeyAdminException, java.io.IOException {
    java.util.Iterator<io.cobalt.proto.kms.v1.KeyEvent> events;
    try {
      events = io.cobalt.proto.kms.v1.KeyEventsGrpc.newBlockingStub(channel).subscribe(
          io.cobalt.proto.kms.v1.KeyEventSubscribeRequest.newBuilder().setSubscriber(subscriber).build());
      while (events.hasNext()) {
        io.cobalt.proto.kms.v1.KeyEvent e = events.next();
        if (e.getKind() != io.cobalt.proto.kms.v1.KeyEventKind.KEY_EVENT_HEARTBEAT) {
          handler.onEvent(e.getKind().name(), e.getKeyId(), e.getEpochMillis());
        }
      }
    } catch (io.grpc.StatusRuntimeException e) {
      throw new KeyAdminException("key event stream ended: " + e.getStatus().getCode() + " "
          + e.getStatus().getDescription(), e.getStatus().getCode().name());
    }
    throw new KeyAdminException("key event stream ended", "UNAVAILABLE");
  }

  public DekCensusResponse reportCensus(String keyId, long startedEpochMillis, Map<Integer, Long> liveDeks)
      throws KeyAdminException {
    DekCensusReport.Builder r = DekCensusReport.newBuilder().setKeyId(keyId).setStartedEpochMillis(startedEpochMillis);
    liveDeks.forEach((v, n) -> r.addCounts(DekCensusCount.newBuilder().setVersion(v).setLiveDeks(n)));
    return call(() -> admin().reportDekCensus(r.build()));
  }

  public DekCensusResponse census(String keyId) throws KeyAdminException {
    return call(() -> admin().getDekCensus(DekCensusRequest.newBuilder().setKeyId(keyId).build()));
  }

  private KeyAdminGrpc.KeyAdminBlockingStub admin() {
    return KeyAdminGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  private <T> T call(Supplier<T> rpc) throws KeyAdminException {
    try {
      return rpc.get();
    } catch (StatusRuntimeException e) {
      String kind = e.getTrailers() == null ? null : e.getTrailers().get(CODE_TRAILER);
      String code = kind != null ? kind : e.getStatus().getCode().name();
      String what = switch (e.getStatus().getCode()) {
        case UNAVAILABLE -> "kms-agent at " + target + " is unreachable or refused the TLS handshake"
            + (e.getStatus().getDescription() == null ? "" : ": " + e.getStatus().getDescription());
        case DEADLINE_EXCEEDED -> "kms-agent at " + target + " did not answer within " + DEADLINE_SECONDS + " s";
        default -> e.getStatus().getDescription() == null
            ? e.getStatus().getCode().name().toLowerCase(Locale.ROOT).replace('_', ' ')
            : e.getStatus().getDescription();
      };
      throw new KeyAdminException(what, code);
    }
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
