package io.cobalt.node.storage;

import java.util.List;

/** One page of a listing in name order; {@code truncated} when more names follow. */
public record Page<T>(List<T> items, boolean truncated) {
  public Page {
    items = List.copyOf(items);
  }
}
