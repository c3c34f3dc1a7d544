package io.cobalt.cli;

import com.google.protobuf.ByteString;
import io.cobalt.cli.admin.rpc.KeyAdminClient;
import io.cobalt.cli.admin.rpc.MetadataPartitionsClient;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.gateway.NodeEndpoint;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.cobalt.proto.node.v1.DekHolder;
import io.cobalt.proto.node.v1.QueryResult;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the key-management ITs share: the operator's clients of a dev cluster's agent and nodes, and
 * the ground truth of where stored DEKs are — every wrapped DEK of an account read from the
 * partitions themselves ({@code DekScan}), independent of the census the rewrap job reports.
 */
final class StoredDeks {
  private StoredDeks() {}

  static KeyAdminClient agent(DevCluster cluster) throws Exception {
    return KeyAdminClient.connect(cluster.options().host() + ":" + cluster.kmsPort(),
        TlsMaterial.load(cluster.tlsDir(), DevCluster.ADMIN));
  }

  static MetadataPartitionsClient nodes(DevCluster cluster) throws Exception {
    return new MetadataPartitionsClient(cluster.nodeEndpoints().stream()
        .map((NodeEndpoint n) -> new MetadataPartitionsClient.Node(n.nodeId(), n.host(), n.port())).toList(),
        cluster.options().partitions(), TlsMaterial.load(cluster.tlsDir(), DevCluster.ADMIN));
  }

  /** Every wrapped DEK of {@code account} stored in the cluster: "keyId v<version>" → count. */
  static Map<String, Long> byKeyVersion(MetadataPartitionsClient nodes, String account) throws Exception {
    Map<String, Long> keys = new TreeMap<>();
    for (int p = 0; p < nodes.count(); p++) {
      ByteString after = ByteString.EMPTY;
      QueryResult r;
      do {
        r = nodes.scan(p, after, 1000);
        for (DekHolder h : r.getDekHoldersList()) {
          if (h.getAccount().equals(account)) {
            for (WrappedKey k : h.getDeksList()) {
              keys.merge(k.getKeyId() + " v" + k.getKeyVersion(), 1L, Long::sum);
            }
          }
          after = h.getPosition();
        }
      } while (r.getTruncated());
    }
    return keys;
  }
}
