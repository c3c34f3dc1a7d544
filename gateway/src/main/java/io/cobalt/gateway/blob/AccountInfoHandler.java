package io.cobalt.gateway.blob;

import io.cobalt.gateway.http.AzureRequest;
import io.vertx.core.Future;

/**
 * Get Account Information ({@code restype=account&comp=properties}, GET or HEAD, on the service,
 * a container or a blob URL): what kind of account this is. A Cobalt account is answered as
 * {@value #SKU_NAME} (every chunk is replicated within one cluster, which is what LRS means:
 * several copies in one location, none elsewhere), kind {@value #ACCOUNT_KIND} (the general-purpose
 * v2 API surface, block blobs only: see docs/adr/0007-page-blobs-rejected.md) and no hierarchical
 * namespace. Needs no stored state: the container or blob named is not looked up (Azure answers
 * for the account, not the resource).
 */
final class AccountInfoHandler {
  static final String SKU_NAME = "Standard_LRS";
  static final String ACCOUNT_KIND = "StorageV2";

  Future<Void> get(AzureRequest r) {
    r.response(200)
        .putHeader("x-ms-sku-name", SKU_NAME)
        .putHeader("x-ms-account-kind", ACCOUNT_KIND)
        .putHeader("x-ms-is-hns-enabled", "false")
        .putHeader("Content-Length", "0")
        .end();
    return Future.succeededFuture();
  }
}
