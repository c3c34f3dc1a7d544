package io.cobalt.cli.admin.http;

import io.cobalt.proto.kms.v1.DekCensusResponse;
import io.cobalt.proto.kms.v1.DekCensusVersion;
import io.cobalt.proto.kms.v1.GetKeyResponse;
import io.cobalt.proto.kms.v1.KeySourceInfo;
import io.cobalt.proto.kms.v1.KeyVersionInfo;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** The agent's key descriptions as the admin API's JSON (times RFC 3339 UTC; no key material exists in them). */
final class KeyJsonCodec {
  private KeyJsonCodec() {}

  static JsonObject key(GetKeyResponse k) {
    JsonArray versions = new JsonArray();
    for (KeyVersionInfo v : k.getVersionsList()) {
      versions.add(new JsonObject().put("version", v.getVersion()).put("state", v.getState())
          .put("created", time(v.getCreatedEpochMillis())));
    }
    JsonObject o = new JsonObject()
        .put("id", k.getKeyId())
        .put("backend", k.getBackend())
        .put("state", !k.hasDeletion() ? "active" : k.getDeletion().getPurged() ? "purged" : "deleted")
        .put("primaryVersion", k.getPrimaryVersion() == 0 ? null : k.getPrimaryVersion())
        .put("minDecryptionVersion", k.getMinDecryptionVersion())
        .put("rotationPeriodSeconds", k.getRotationPeriodSeconds())
        .put("nextRotation", k.getNextRotationEpochMillis() == 0 ? null : time(k.getNextRotationEpochMillis()))
        .put("imported", k.getImported())
        .put("versions", versions);
    if (k.hasDeletion()) {
      o.put("deletion", new JsonObject()
          .put("deleted", time(k.getDeletion().getDeletedEpochMillis()))
          .put("purgeAfter", time(k.getDeletion().getPurgeAfterEpochMillis()))
          .put("purgeProtection", k.getDeletion().getPurgeProtection())
          .put("purged", k.getDeletion().getPurged()));
    }
    return o;
  }

  /** An account's or scope's key source (ADR 0031); {@code version} is the pinned version or "latest". */
  static JsonObject keySource(KeySourceInfo i) {
    return new JsonObject()
        .put("account", i.getAccount())
        .put("scope", i.getScope().isEmpty() ? null : i.getScope())
        .put("owner", i.getOwnerKeyId())
        .put("serviceManaged", i.getServiceManaged())
        .put("backend", i.getBackend())
        .put("key", i.getKeyId())
        .put("version", i.getPinnedVersion() == 0 ? (Object) "latest" : (Object) i.getPinnedVersion())
        .put("effectiveKey", i.getEffectiveKeyId())
        .put("effectiveVersion", i.getEffectiveVersion() == 0 ? null : i.getEffectiveVersion())
        .put("changed", i.getChangedEpochMillis() == 0 ? null : time(i.getChangedEpochMillis()));
  }

  static JsonObject census(DekCensusResponse c) {
    JsonArray versions = new JsonArray();
    for (DekCensusVersion v : c.getVersionsList()) {
      versions.add(new JsonObject().put("version", v.getVersion()).put("censusDeks", v.getCensusDeks())
          .put("generatedSince", v.getGeneratedSince()).put("inUse", v.getInUse()).put("reason", v.getReason()));
    }
    return new JsonObject().put("id", c.getKeyId())
        .put("censusStarted", c.getCensusStartedEpochMillis() == 0 ? null : time(c.getCensusStartedEpochMillis()))
        .put("censusReported", c.getCensusReportedEpochMillis() == 0 ? null : time(c.getCensusReportedEpochMillis()))
        .put("versions", versions);
  }

  static String time(long epochMillis) {
    return Instant.ofEpochMilli(epochMillis).toString();
  }
}
