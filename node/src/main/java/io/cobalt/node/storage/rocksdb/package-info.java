/**
 * RocksDB implementation of the storage SPIs; the only package that imports {@code org.rocksdb}.
 * Layout: {@link io.cobalt.node.storage}.
 */
package io.cobalt.node.storage.rocksdb;
