package io.cobalt.kms.api;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.key.DataKey;
import io.cobalt.kms.audit.KeyOperation;
import io.cobalt.kms.keys.AccountKeyId;
import io.cobalt.kms.keys.CallerContext;
import io.cobalt.kms.keys.DataKeyService;
import io.cobalt.kms.keys.GeneratedDataKey;
import io.cobalt.kms.keys.KeyOperationException;
import io.cobalt.kms.keys.WrappedDataKey;
import io.cobalt.kms.lifecycle.KeyLifecycleService;
import io.cobalt.kms.policy.CallerPolicy;
import io.cobalt.proto.kms.v1.GenerateDataKeyRequest;
import io.cobalt.proto.kms.v1.GenerateDataKeyResponse;
import io.cobalt.proto.kms.v1.GetKeyRequest;
import io.cobalt.proto.kms.v1.GetKeyResponse;
import io.cobalt.proto.kms.v1.KeyAgentGrpc;
import io.cobalt.proto.kms.v1.RewrapRequest;
import io.cobalt.proto.kms.v1.RewrapResponse;
import io.cobalt.proto.kms.v1.UnwrapRequest;
import io.cobalt.proto.kms.v1.UnwrapResponse;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Arrays;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * gRPC adapter of the key agent. Each method: caller identity (from mTLS) → policy → key service →
 * response, with failures mapped by {@link #statusOf}. Plaintext keys are copied into the response
 * and the agent's copies wiped.
 */
public final class KeyAgentRpcService extends KeyAgentGrpc.KeyAgentImplBase {
  /** Trailer with the stable failure kind (e.g. {@code NOT_AUTHENTIC}), for clients that map errors. */
  public static final Metadata.Key<String> CODE_TRAILER =
      Metadata.Key.of("cobalt-kms-code", Metadata.ASCII_STRING_MARSHALLER);
  private static final Logger LOG = LoggerFactory.getLogger(KeyAgentRpcService.class);

  private final CallerPolicy policy;
  private final DataKeyService keys;
  private final KeyLifecycleService lifecycle;
  private final LongSupplier nanoTicker;

  public KeyAgentRpcService(CallerPolicy policy, DataKeyService keys, KeyLifecycleService lifecycle,
      LongSupplier nanoTicker) {
    this.policy = policy;
    this.keys = keys;
    this.lifecycle = lifecycle;
    this.nanoTicker = nanoTicker;
  }

  @Override
  public void generateDataKey(GenerateDataKeyRequest req, StreamObserver<GenerateDataKeyResponse> out) {
    CallerContext ctx = context(req.getRequestId());
    try {
      String account = req.getAccount();
      String keyId = req.getKeyId().isEmpty() ? keyIdOf(account) : req.getKeyId();
      policy.authorize(ctx, KeyOperation.GENERATE_DEK, keyId, null, account);
      GenerateDataKeyResponse resp;
      try (GeneratedDataKey g = keys.generateDataKey(ctx, account, req.getKeyId())) {
        resp = GenerateDataKeyResponse.newBuilder()
            .setPlaintextKey(bytesOf(g.plaintext()))
            .setWrapped(WrappedKey.newBuilder()
                .setKeyId(g.wrapped().keyId())
                .setKeyVersion(g.wrapped().keyVersion())
                .setCiphertext(ByteString.copyFrom(g.wrapped().ciphertext())))
            .build();
      }
      out.onNext(resp);
      out.onCompleted();
    } catch (KeyOperationException e) {
      out.onError(statusOf(e, KeyOperation.GENERATE_DEK));
    } catch (RuntimeException e) {
      out.onError(internal(e, ctx));
    }
  }

  @Override
  public void unwrap(UnwrapRequest req, StreamObserver<UnwrapResponse> out) {
    CallerContext ctx = context(req.getRequestId());
    try {
      String account = req.getAccount();
      WrappedKey w = req.getWrapped();
      policy.authorize(ctx, KeyOperation.UNWRAP, w.getKeyId(), w.getKeyVersion(), account);
      WrappedDataKey wrapped = req.hasWrapped()
          ? new WrappedDataKey(w.getKeyId(), versionOf(w.getKeyVersion()), w.getCiphertext().toByteArray())
          : null;
      UnwrapResponse resp;
      try (DataKey dek = keys.unwrap(ctx, account, wrapped)) {
        resp = UnwrapResponse.newBuilder().setPlaintextKey(bytesOf(dek)).build();
      }
      out.onNext(resp);
      out.onCompleted();
    } catch (KeyOperationException e) {
      out.onError(statusOf(e, KeyOperation.UNWRAP));
    } catch (RuntimeException e) {
      out.onError(internal(e, ctx));
    }
  }

  @Override
  public void getKey(GetKeyRequest req, StreamObserver<GetKeyResponse> out) {
    CallerContext ctx = context(req.getRequestId());
    try {
      String keyId = req.getKeyId();
      String account = io.cobalt.kms.keys.KeyId.isValid(keyId) ? new io.cobalt.kms.keys.KeyId(keyId).account() : null;
      policy.authorize(ctx, KeyOperation.GET_KEY, keyId, null, account);
      // An owner with a customer key source (ADR 0031) names it, so that the gateway's checks of the
      // owner's key follow the source; its own key may never have been created (switched before any write).
      java.util.Optional<io.cobalt.kms.lifecycle.KeyCatalog.KeySource> source = lifecycle.customerSource(keyId);
      GetKeyResponse r;
      try {
        r = KeyDetailsCodec.encode(lifecycle.describe(ctx, keyId));
      } catch (KeyOperationException e) {
        if (source.isEmpty() || e.kind() != KeyOperationException.Kind.UNKNOWN_KEY) {
          throw e;
        }
        r = GetKeyResponse.newBuilder().setKeyId(keyId).build();
      }
      if (source.isPresent()) {
        r = r.toBuilder().setSourceKeyId(source.get().keyId()).setSourcePinnedVersion(source.get().version()).build();
      }
      out.onNext(r);
      out.onCompleted();
    } catch (KeyOperationException e) {
      out.onError(statusOf(e, KeyOperation.GET_KEY));
    } catch (RuntimeException e) {
      out.onError(internal(e, ctx));
    }
  }

  @Override
  public void rewrap(RewrapRequest req, StreamObserver<RewrapResponse> out) {
    CallerContext ctx = context(req.getRequestId());
    try {
      String account = req.getAccount();
      WrappedKey w = req.getWrapped();
      policy.authorize(ctx, KeyOperation.REWRAP, w.getKeyId(), w.getKeyVersion(), account);
      WrappedDataKey wrapped = req.hasWrapped()
          ? new WrappedDataKey(w.getKeyId(), versionOf(w.getKeyVersion()), w.getCiphertext().toByteArray())
          : null;
      WrappedDataKey again = keys.rewrap(ctx, account, wrapped, req.getOwnerKeyId());
      out.onNext(RewrapResponse.newBuilder().setWrapped(WrappedKey.newBuilder()
          .setKeyId(again.keyId())
          .setKeyVersion(again.keyVersion())
          .setCiphertext(ByteString.copyFrom(again.ciphertext()))).build());
      out.onCompleted();
    } catch (KeyOperationException e) {
      out.onError(statusOf(e, KeyOperation.REWRAP));
    } catch (RuntimeException e) {
      out.onError(internal(e, ctx));
    }
  }

  CallerContext context(String requestId) {
    return contextOf(requestId, nanoTicker);
  }

  static CallerContext contextOf(String requestId, LongSupplier nanoTicker) {
    return new CallerContext(CallerIdentityInterceptor.CALLER.get(), requestId.isEmpty() ? null : requestId,
        nanoTicker.getAsLong());
  }

  private static String keyIdOf(String account) {
    return AccountKeyId.isValidAccount(account) ? new AccountKeyId(account).value() : null;
  }

  /** Proto uint32 → version; values above 2^31-1 are no version we ever issue. */
  private static int versionOf(int protoUint32) {
    return protoUint32 < 0 ? 0 : protoUint32;
  }

  private static ByteString bytesOf(DataKey key) {
    byte[] plain = key.copyBytes();
    try {
      return ByteString.copyFrom(plain);
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
  }

  /**
   * The canonical gRPC status of an expected failure, with its stable kind in a trailer. Data-path
   * refusals because of the key's state (KEY_DISABLED, KEY_DESTROYED, KEY_DELETED, VERSION_RETIRED)
   * are FAILED_PRECONDITION; the gateway maps those kinds to 403 KeyVaultEncryptionKeyNotFound.
   */
  static RuntimeException statusOf(KeyOperationException e, KeyOperation op) {
    Status status = switch (e.kind()) {
      case INVALID_ACCOUNT, INVALID_KEY_ID, MALFORMED_WRAPPED_KEY, NOT_AUTHENTIC, INVALID_ARGUMENT, BAD_IMPORT ->
          Status.INVALID_ARGUMENT;
      case UNKNOWN_KEY -> op.isDataPath() && op != KeyOperation.GET_KEY ? Status.FAILED_PRECONDITION : Status.NOT_FOUND;
      case KEY_EXISTS -> Status.ALREADY_EXISTS;
      case UNSUPPORTED -> Status.UNIMPLEMENTED;
      case WRONG_KEY, UNKNOWN_KEY_VERSION, KEY_DISABLED, KEY_DESTROYED, INVALID_STATE_CHANGE, KEY_DELETED,
          VERSION_RETIRED, PURGE_PROTECTED, VERSION_IN_USE -> Status.FAILED_PRECONDITION;
      case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
      case LIMIT_EXCEEDED -> Status.RESOURCE_EXHAUSTED;
      case KEYSTORE_UNAVAILABLE, AUDIT_UNAVAILABLE, BACKEND_UNAVAILABLE -> Status.UNAVAILABLE;
      case INTERNAL -> Status.INTERNAL;
    };
    Metadata trailers = new Metadata();
    trailers.put(CODE_TRAILER, e.kind().name());
    return status.withDescription(e.getMessage()).asRuntimeException(trailers);
  }

  static RuntimeException internal(RuntimeException e, CallerContext ctx) {
    LOG.error("unexpected failure serving request {}", ctx.requestId(), e);
    Metadata trailers = new Metadata();
    trailers.put(CODE_TRAILER, KeyOperationException.Kind.INTERNAL.name());
    return Status.INTERNAL.withDescription("internal error, request id " + ctx.requestId()).asRuntimeException(trailers);
  }
}
