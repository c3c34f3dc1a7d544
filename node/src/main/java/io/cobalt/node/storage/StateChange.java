package io.cobalt.node.storage;

import com.google.protobuf.ByteString;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.ContainerRecord;

/** The effect of one applied metadata command on a partition's state (committed with the applied index). */
public sealed interface StateChange {
  /** The command took no effect (e.g. ALREADY_EXISTS); only the applied index advances. */
  record None() implements StateChange {}

  record PutContainer(ContainerRecord container) implements StateChange {}

  record RemoveContainer(String account, String name) implements StateChange {}

  record PutBlob(BlobRecord blob) implements StateChange {}

  record RemoveBlob(String account, ByteString containerId, String name) implements StateChange {}

  StateChange NONE = new None();
}
