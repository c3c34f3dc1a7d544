package io.cobalt.kms.api;

import com.google.protobuf.ByteString;
import io.cobalt.kms.audit.KeyOperation;
import io.cobalt.kms.keys.CallerContext;
import io.cobalt.kms.keys.KeyOperationException;
import io.cobalt.kms.lifecycle.ImportKeyPair;
import io.cobalt.kms.lifecycle.KeyDetails;
import io.cobalt.kms.lifecycle.KeyLifecycleService;
import io.cobalt.kms.policy.CallerPolicy;
import io.cobalt.kms.lifecycle.DekCensus;
import io.cobalt.proto.kms.v1.CreateKeyRequest;
import io.cobalt.proto.kms.v1.DekCensusCount;
import io.cobalt.proto.kms.v1.DekCensusReport;
import io.cobalt.proto.kms.v1.DekCensusRequest;
import io.cobalt.proto.kms.v1.DekCensusResponse;
import io.cobalt.proto.kms.v1.DekCensusVersion;
import io.cobalt.proto.kms.v1.GetImportKeyRequest;
import io.cobalt.proto.kms.v1.GetImportKeyResponse;
import io.cobalt.proto.kms.v1.GetKeyResponse;
import io.cobalt.proto.kms.v1.ImportKeyRequest;
import io.cobalt.proto.kms.v1.KeyAdminGrpc;
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
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
        ctx -> lifecycle.setVersionState(ctx, req.getKeyId(), version, req.getEnabled(), req.getForce()), out);
  }

  @Override
  public void setMinimumDecryptionVersion(SetMinimumDecryptionVersionRequest req, StreamObserver<GetKeyResponse> out) {
    int version = versionOf(req.getVersion());
    keyCall(KeyOperation.SET_MIN_DECRYPTION_VERSION, req.getKeyId(), version,
        ctx -> lifecycle.setMinDecryptionVersion(ctx, req.getKeyId(), version, req.getForce()), out);
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

  @Override
  public void reportDekCensus(DekCensusReport req, StreamObserver<DekCensusResponse> out) {
    CallerContext ctx = KeyAgentRpcService.contextOf("", nanoTicker);
    try {
      policy.authorize(ctx, KeyOperation.REPORT_DEK_CENSUS, req.getKeyId(), null, null);
      if (req.getCountsCount() > 10_000) {
        throw new KeyOperationException(KeyOperationException.Kind.INVALID_ARGUMENT, "at most 10000 versions");
      }
      Map<Integer, Long> counts = new TreeMap<>();
      for (DekCensusCount c : req.getCountsList()) {
        counts.merge(versionOf(c.getVersion()), c.getLiveDeks() < 0 ? -1 : c.getLiveDeks(), Long::sum);
      }
      List<DekCensus.VersionView> view =
          lifecycle.reportCensus(ctx, req.getKeyId(), req.getStartedEpochMillis(), counts);
      out.onNext(census(req.getKeyId(), view));
      out.onCompleted();
    } catch (KeyOperationException e) {
      out.onError(KeyAgentRpcService.statusOf(e, KeyOperation.REPORT_DEK_CENSUS));
    } catch (RuntimeException e) {
      out.onError(KeyAgentRpcService.internal(e, ctx));
    }
  }

  @Override
  public void getDekCensus(DekCensusRequest req, StreamObserver<DekCensusResponse> out) {
    CallerContext ctx = KeyAgentRpcService.contextOf("", nanoTicker);
    try {
      policy.authorize(ctx, KeyOperation.GET_DEK_CENSUS, req.getKeyId(), null, null);
      out.onNext(census(req.getKeyId(), lifecycle.census(ctx, req.getKeyId())));
      out.onCompleted();
    } catch (KeyOperationException e) {
      out.onError(KeyAgentRpcService.statusOf(e, KeyOperation.GET_DEK_CENSUS));
    } catch (RuntimeException e) {
      out.onError(KeyAgentRpcService.internal(e, ctx));
    }
  }

  @Override
  public void keySourceSet(KeySourceSetRequest req, StreamObserver<KeySourceInfo> out) {
    CallerContext ctx = KeyAgentRpcService.contextOf("", nanoTicker);
    try {
      String owner = ownerOrNull(req.getAccount(), req.getScope());
      policy.authorize(ctx, KeyOperation.SET_KEY_SOURCE, owner, null, req.getAccount());
      String customerKey = customerKeyOrNull(req.getKeyName());
      if (!req.getServiceManaged() && customerKey != null) {
        policy.authorize(ctx, KeyOperation.SET_KEY_SOURCE, customerKey, null, req.getAccount());
      }
      out.onNext(sourceInfo(lifecycle.setKeySource(ctx, req.getAccount(), req.getScope(), req.getServiceManaged(),
          req.getBackend(), req.getKeyName(), versionOf(req.getVersion()))));
      out.onCompleted();
    } catch (KeyOperationException e) {
      out.onError(KeyAgentRpcService.statusOf(e, KeyOperation.SET_KEY_SOURCE));
    } catch (RuntimeException e) {
      out.onError(KeyAgentRpcService.internal(e, ctx));
    }
  }

  @Override
  public void keySourceGet(KeySourceGetRequest req, StreamObserver<KeySourceInfo> out) {
    CallerContext ctx = KeyAgentRpcService.contextOf("", nanoTicker);
    try {
      policy.authorize(ctx, KeyOperation.GET_KEY_SOURCE, ownerOrNull(req.getAccount(), req.getScope()), null,
          req.getAccount());
      out.onNext(sourceInfo(lifecycle.keySource(ctx, req.getAccount(), req.getScope())));
      out.onCompleted();
    } catch (KeyOperationException e) {
      out.onError(KeyAgentRpcService.statusOf(e, KeyOperation.GET_KEY_SOURCE));
    } catch (RuntimeException e) {
      out.onError(KeyAgentRpcService.internal(e, ctx));
    }
  }

  /** The owner key id, or null if the names are malformed (the lifecycle service then refuses them). */
  private static String ownerOrNull(String account, String scope) {
    try {
      return KeyLifecycleService.ownerOf(account, scope);
    } catch (KeyOperationException e) {
      return null;
    }
  }

  private static String customerKeyOrNull(String name) {
    try {
      return KeyLifecycleService.customerKeyId(name);
    } catch (KeyOperationException e) {
      return null;
    }
  }

  private static KeySourceInfo sourceInfo(KeyLifecycleService.KeySourceView v) {
    return KeySourceInfo.newBuilder().setAccount(v.account()).setScope(v.scope() == null ? "" : v.scope())
        .setOwnerKeyId(v.owner()).setServiceManaged(v.serviceManaged()).setBackend(v.backend()).setKeyId(v.keyId())
        .setPinnedVersion(v.pinnedVersion()).setEffectiveKeyId(v.effectiveKeyId())
        .setEffectiveVersion(v.effectiveVersion()).setChangedEpochMillis(v.changedEpochMillis()).build();
  }

  private DekCensusResponse census(String keyId, List<DekCensus.VersionView> view) {
    DekCensusResponse.Builder b = DekCensusResponse.newBuilder().setKeyId(keyId);
    DekCensus.Census c = lifecycle.lastCensus(keyId);
    if (c != null) {
      b.setCensusStartedEpochMillis(c.startedEpochMillis()).setCensusReportedEpochMillis(c.reportedEpochMillis());
    }
    for (DekCensus.VersionView v : view) {
      b.addVersions(DekCensusVersion.newBuilder().setVersion(v.version()).setCensusDeks(v.censusDeks())
          .setGeneratedSince(v.generatedSince()).setInUse(v.inUse()).setReason(v.reason()));
    }
    return b.build();
  }

  /** Proto uint32 → int; values above 2^31-1 become -1, which no range check accepts. */
  private static int versionOf(int protoUint32) {
    return protoUint32 < 0 ? -1 : protoUint32;
  }
}
