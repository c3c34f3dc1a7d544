package io.cobalt.kms.api;

import io.cobalt.kms.keys.KeyVersion;
import io.cobalt.kms.lifecycle.KeyCatalog;
import io.cobalt.kms.lifecycle.KeyDetails;
import io.cobalt.proto.kms.v1.GetKeyResponse;
import io.cobalt.proto.kms.v1.KeyDeletion;
import io.cobalt.proto.kms.v1.KeyVersionInfo;

/** {@link KeyDetails} as the wire's {@code GetKeyResponse}. No key material exists in either. */
final class KeyDetailsCodec {
  private KeyDetailsCodec() {}

  static GetKeyResponse encode(KeyDetails d) {
    KeyCatalog.Entry e = d.entry();
    GetKeyResponse.Builder b = GetKeyResponse.newBuilder()
        .setKeyId(d.description().keyId())
        .setPrimaryVersion(d.primaryVersion().orElse(0))
        .setBackend(e.backend())
        .setMinDecryptionVersion(e.minDecryptionVersion())
        .setRotationPeriodSeconds(e.rotationPeriodSeconds())
        .setNextRotationEpochMillis(d.nextRotationEpochMillis())
        .setImported(e.imported());
    for (KeyVersion v : d.description().versions()) {
      b.addVersions(KeyVersionInfo.newBuilder()
          .setVersion(v.version())
          .setState(d.effectiveState(v))
          .setCreatedEpochMillis(v.created().toEpochMilli()));
    }
    if (e.deletion() != null) {
      b.setDeletion(KeyDeletion.newBuilder()
          .setDeletedEpochMillis(e.deletion().deletedEpochMillis())
          .setPurgeAfterEpochMillis(e.deletion().purgeAfterEpochMillis())
          .setPurgeProtection(e.deletion().purgeProtection())
          .setPurged(e.deletion().purged()));
    }
    return b.build();
  }
}
