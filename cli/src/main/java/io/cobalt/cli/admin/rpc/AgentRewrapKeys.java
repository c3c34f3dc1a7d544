package io.cobalt.cli.admin.rpc;

import io.cobalt.cli.admin.rewrap.RewrapJob;
import io.cobalt.proto.kms.v1.KeySourceInfo;
import io.cobalt.proto.kms.v1.WrappedKey;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The rewrap job's way to the kms-agent: GetKey, KeySourceGet, Rewrap and ReportDekCensus through a
 * {@link KeyAdminClient}. A refusal that concerns one DEK (its version disabled, destroyed,
 * retired; a key deleted; an inauthentic wrapped key) is a {@link RewrapJob.RefusedException}; anything else
 * (agent unreachable, no permission) stops the job.
 */
public final class AgentRewrapKeys implements RewrapJob.Keys {
  private static final Set<String> PER_DEK = Set.of("KEY_DISABLED", "KEY_DESTROYED", "VERSION_RETIRED",
      "KEY_DELETED", "UNKNOWN_KEY", "UNKNOWN_KEY_VERSION", "WRONG_KEY", "NOT_AUTHENTIC", "MALFORMED_WRAPPED_KEY");

  private final KeyAdminClient client;
  private final String jobId = UUID.randomUUID().toString();

  public AgentRewrapKeys(KeyAdminClient client) {
    this.client = client;
  }

  @Override
  public int primaryVersion(String keyId) throws IOException {
    try {
      return client.describe(keyId).getPrimaryVersion();
    } catch (KeyAdminException e) {
      throw new IOException(e.getMessage() + " (" + e.code() + ")", e);
    }
  }

  @Override
  public WrappedKey rewrap(String account, WrappedKey wrapped) throws RewrapJob.RefusedException, IOException {
    try {
      return client.rewrap(account, wrapped, "rewrap-" + jobId);
    } catch (KeyAdminException e) {
      if (PER_DEK.contains(e.code())) {
        throw new RewrapJob.RefusedException(e.getMessage(), e.code());
      }
      throw new IOException(e.getMessage() + " (" + e.code() + ")", e);
    }
  }

  @Override
  public RewrapJob.Target target(String ownerKeyId) throws IOException {
    String rest = ownerKeyId.substring("account/".length());
    int scope = rest.indexOf("/scope/");
    String account = scope < 0 ? rest : rest.substring(0, scope);
    String scopeName = scope < 0 ? "" : rest.substring(scope + "/scope/".length());
    try {
      KeySourceInfo info = client.keySource(account, scopeName);
      return new RewrapJob.Target(info.getEffectiveKeyId(), info.getEffectiveVersion());
    } catch (KeyAdminException e) {
      throw new IOException(e.getMessage() + " (" + e.code() + ")", e);
    }
  }

  @Override
  public WrappedKey rewrap(String account, WrappedKey wrapped, String ownerKeyId)
      throws RewrapJob.RefusedException, IOException {
    try {
      return client.rewrap(account, wrapped, "rewrap-" + jobId, ownerKeyId);
    } catch (KeyAdminException e) {
      if (PER_DEK.contains(e.code())) {
        throw new RewrapJob.RefusedException(e.getMessage(), e.code());
      }
      throw new IOException(e.getMessage() + " (" + e.code() + ")", e);
    }
  }

  @Override
  public void reportCensus(String keyId, long startedEpochMillis, Map<Integer, Long> liveDeks) throws IOException {
    try {
      client.reportCensus(keyId, startedEpochMillis, liveDeks);
    } catch (KeyAdminException e) {
      throw new IOException(e.getMessage() + " (" + e.code() + ")", e);
    }
  }
}
