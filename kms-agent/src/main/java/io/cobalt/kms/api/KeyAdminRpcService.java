package io.cobalt.kms.api;

import com.google.protobuf.ByteString;
import io.cobalt.kms.audit.KeyOperation;
import io.cobalt.kms.keys.CallerContext;
import io.cobalt.kms.keys.KeyOperationException;
import io.cobalt.kms.lifecycle.ImportKeyPair;
import io.cobalt.kms.lifecycle.KeyDetails;
import io.cobalt.kms.lifecycle.KeyLifecycleService;
import io.cobalt.kms.policy.CallerPolicy;
import io.cobalt.proto.kms.v1.CreateKeyRequest;
import io.cobalt.proto.kms.v1.GetImportKeyRequest;
import io.cobalt.proto.kms.v1.GetImportKeyResponse;
import io.cobalt.proto.kms.v1.GetKeyResponse;
import io.cobalt.proto.kms.v1.ImportKeyRequest;
import io.cobalt.proto.kms.v1.KeyAdminGrpc;
import io.cobalt.proto.kms.v1.ListKeysRequest;
import io.cobalt.proto.kms.v1.ListKeysResponse;
import io.cobalt.proto.kms.v1.PurgeKeyRequest;
import io.cobalt.proto.kms.v1.RecoverKeyRequest;
import io.cobalt.proto.kms.v1.RotateKeyRequest;
import io.cobalt.proto.kms.v1.ScheduleKeyDeletionRequest;
import io.cobalt.proto.kms.v1.SetKeyVersionStateRequest;
import io.cobalt.proto.kms.v1.SetMinimumDecryptionVersionRequest;
import io.cobalt.proto.kms.v1.SetRotationPolicyRequest;
import io.grpc.stub.StreamObserver;
import java.util.function.LongSupplier;

/**
 * gRPC adapter of the key lifecycle ({@code cobalt.kms.v1.KeyAdmin}). Each method: caller identity
 * → policy (the operation on the named key; deny by default) → lifecycle service (which audits) →
 * response. Failures map as in {@link KeyAgentRpcService#statusOf}.
 */
public final class KeyAdminRpcService extends KeyAdminGrpc.KeyAdminImplBase {
  private final CallerPolicy policy;
  private final KeyLifecycleService lifecycle;
  private final LongSupplier nanoTicker;

  public KeyAdminRpcService(CallerPolicy policy, KeyLifecycleService lifecycle, LongSupplier nanoTicker) {
    this.policy = policy;
    this.lifecycle = lifecycle;
    this.nanoTicker = nanoTicker;
  }

  @FunctionalInterface
  private interface KeyCall {
    KeyDetails run(CallerContext ctx) throws KeyOperationException;
  }

  /** Authorize {@code op} on {@code keyId}, run, answer with the key's details. */
  private void keyCall(KeyOperation op, String keyId, Integer version, KeyCall call, StreamObserver<GetKeyResponse> out) {
    CallerContext ctx = KeyAgentRpcService.contextOf("", nanoTicker);
    try {
      policy.authorize(ctx, op, keyId, version, null);
      GetKeyResponse resp = KeyDetailsCodec.encode(call.run(ctx));
      out.onNext(resp);
      out.onCompleted();
    } catch (KeyOperationException e) {
      out.onError(KeyAgentRpcService.statusOf(e, op));
    } catch (RuntimeException e) {
      out.onError(KeyAgentRpcService.internal(e, ctx));
    }
  }

  @Override
  public void createKey(CreateKeyRequest req, StreamObserver<GetKeyResponse> out) {
    keyCall(KeyOperation.CREATE_KEY, req.getKeyId(), null,
        ctx -> lifecycle.create(ctx, req.getKeyId(), req.getBackend()), out);
  }

  @Override
  public void rotateKey(RotateKeyRequest req, StreamObserver<GetKeyResponse> out) {
    keyCall(KeyOperation.ROTATE, req.getKeyId(), null, ctx -> lifecycle.rotate(ctx, req.getKeyId()), out);
  }

  @Override
  public void setKeyVersionState(SetKeyVersionStateRequest req, StreamObserver<GetKeyResponse> out) {
    KeyOperation op = req.getEnabled() ? KeyOperation.ENABLE : KeyOperation.DISABLE;
    int version = versionOf(req.getVersion());
    keyCall(op, req.getKeyId(), version,
        ctx -> lifecycle.setVersionState(ctx, req.getKeyId(), version, req.getEnabled()), out);
  }

  @Override
  public void setMinimumDecryptionVersion(SetMinimumDecryptionVersionRequest req, StreamObserver<GetKeyResponse> out) {
    int version = versionOf(req.getVersion());
    keyCall(KeyOperation.SET_MIN_DECRYPTION_VERSION, req.getKeyId(), version,
        ctx -> lifecycle.setMinDecryptionVersion(ctx, req.getKeyId(), version), out);
  }

  @Override
  public void setRotationPolicy(SetRotationPolicyRequest req, StreamObserver<GetKeyResponse> out) {
    keyCall(KeyOperation.SET_ROTATION_POLICY, req.getKeyId(), null,
        ctx -> lifecycle.setRotationPolicy(ctx, req.getKeyId(), req.getRotationPeriodSeconds()), out);
  }

  @Override
  public void scheduleKeyDeletion(ScheduleKeyDeletionRequest req, StreamObserver<GetKeyResponse> out) {
    keyCall(KeyOperation.SCHEDULE_DELETE, req.getKeyId(), null, ctx -> lifecycle.scheduleDeletion(ctx,
        req.getKeyId(), versionOf(req.getRetentionDays()), req.getPurgeProtection()), out);
  }

  @Override
  public void recoverKey(RecoverKeyRequest req, StreamObserver<GetKeyResponse> out) {
    keyCall(KeyOperation.RECOVER, req.getKeyId(), null, ctx -> lifecycle.recover(ctx, req.getKeyId()), out);
  }

  @Override
  public void purgeKey(PurgeKeyRequest req, StreamObserver<GetKeyResponse> out) {
    keyCall(KeyOperation.PURGE, req.getKeyId(), null, ctx -> lifecycle.purge(ctx, req.getKeyId()), out);
  }

  @Override
  public void importKey(ImportKeyRequest req, StreamObserver<GetKeyResponse> out) {
    keyCall(KeyOperation.IMPORT_KEY, req.getKeyId(), 1, ctx -> lifecycle.importKey(ctx, req.getKeyId(),
        req.getBackend(), req.getWrappedMaterial().toByteArray(), req.getImportKeyFingerprint()), out);
  }

  @Override
  public void listKeys(ListKeysRequest req, StreamObserver<ListKeysResponse> out) {
    CallerContext ctx = KeyAgentRpcService.contextOf("", nanoTicker);
    try {
      policy.authorize(ctx, KeyOperation.LIST_KEYS, null, null, null);
      KeyLifecycleService.Page page = lifecycle.list(ctx, req.getPrefix(), req.getPageSize() < 0 ? -1 : req.getPageSize(),
          req.getPageToken(), id -> policy.allows(ctx.caller(), KeyOperation.LIST_KEYS, id));
      ListKeysResponse.Builder b = ListKeysResponse.newBuilder().setNextPageToken(page.nextPageToken());
      for (KeyDetails d : page.keys()) {
        b.addKeys(KeyDetailsCodec.encode(d));
      }
      out.onNext(b.build());
      out.onCompleted();
    } catch (KeyOperationException e) {
      out.onError(KeyAgentRpcService.statusOf(e, KeyOperation.LIST_KEYS));
    } catch (RuntimeException e) {
      out.onError(KeyAgentRpcService.internal(e, ctx));
    }
  }

  @Override
  public void getImportKey(GetImportKeyRequest req, StreamObserver<GetImportKeyResponse> out) {
    CallerContext ctx = KeyAgentRpcService.contextOf("", nanoTicker);
    try {
      policy.authorize(ctx, KeyOperation.GET_IMPORT_KEY, null, null, null);
      ImportKeyPair.PublicPart p = lifecycle.importPublicKey(ctx);
      out.onNext(GetImportKeyResponse.newBuilder()
          .setPublicKeyDer(ByteString.copyFrom(p.der()))
          .setPublicKeyPem(p.pem())
          .setFingerprint(p.fingerprint())
          .build());
      out.onCompleted();
    } catch (KeyOperationException e) {
      out.onError(KeyAgentRpcService.statusOf(e, KeyOperation.GET_IMPORT_KEY));
    } catch (RuntimeException e) {
      out.onError(KeyAgentRpcService.internal(e, ctx));
    }
  }

  /** Proto uint32 → int; values above 2^31-1 become -1, which no range check accepts. */
  private static int versionOf(int protoUint32) {
    return protoUint32 < 0 ? -1 : protoUint32;
  }
}
