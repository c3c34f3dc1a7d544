package io.cobalt.node.storage;

import io.cobalt.proto.node.v1.ChunkRef;
import java.util.List;

/**
 * One page of a partition's chunk references (committed manifests and staged blocks), for
 * anti-entropy and chunk GC.
 *
 * @param refs the references of the records read, in key order (a chunk may appear more than once)
 * @param next where the next page starts (opaque); empty when the partition has no more records
 */
public record ChunkRefPage(List<ChunkRef> refs, byte[] next) {
  public ChunkRefPage {
    refs = List.copyOf(refs);
    next = next.clone();
  }

  public boolean last() {
    return next.length == 0;
  }
}
