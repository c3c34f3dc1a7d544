package io.cobalt.node.partition;

import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.Condition;
import java.util.Optional;

/**
 * Azure's conditional-request rules for writes, evaluated at the apply step against the current
 * record (DESIGN §6.3), so a conditional write is linearizable per key. Times compare at whole
 * seconds (HTTP dates carry no more). The gateway maps the status to Azure's answer: ALREADY_EXISTS
 * (If-None-Match: * on an existing blob) → 409 BlobAlreadyExists, CONDITION_NOT_MET → 412.
 */
final class Conditions {
  private Conditions() {}

  /** For a record that may not exist (Put Blob, Put Block List, Delete Blob...); null when the write may go ahead. */
  static CommandStatus check(Condition c, Optional<BlobRecord> current) {
    if (current.isEmpty()) {
      // Nothing to compare with: If-Match needs a record; the others hold vacuously.
      if (c.hasIfMatch()) {
        return CommandStatus.CONDITION_NOT_MET;
      }
      return c.hasIfTags() && !c.getIfTags().getVersionId().isEmpty() ? CommandStatus.TAGS_CHANGED : null;
    }
    CommandStatus refused = check(c, current.get().getEtag(), current.get().getLastModifiedEpochMillis());
    if (refused != null) {
      return refused;
    }
    return c.hasIfTags() && !tagsUnchanged(c.getIfTags(), current.get()) ? CommandStatus.TAGS_CHANGED : null;
  }

  /**
   * Whether the blob's tag state is still the one the gateway evaluated x-ms-if-tags against (ADR
   * 0018): the same version (a new version has other tags under another key) and the same tags id.
   */
  static boolean tagsUnchanged(io.cobalt.proto.node.v1.TagsSnapshot seen, BlobRecord current) {
    return seen.getVersionId().equals(current.getVersionId()) && seen.getTagsId().equals(current.getTagsId());
  }

  /** For an existing record with {@code etag} and {@code lastModifiedMillis}; null when the write may go ahead. */
  static CommandStatus check(Condition c, String etag, long lastModifiedMillis) {
    if (c.hasIfMatch() && !matches(c.getIfMatch(), etag)) {
      return CommandStatus.CONDITION_NOT_MET;
    }
    if (c.hasIfNoneMatch()) {
      if (c.getIfNoneMatch().trim().equals("*")) {
        return CommandStatus.ALREADY_EXISTS;
      }
      if (matches(c.getIfNoneMatch(), etag)) {
        return CommandStatus.CONDITION_NOT_MET;
      }
    }
    long modifiedSecond = Math.floorDiv(lastModifiedMillis, 1000);
    if (c.hasIfModifiedSinceMillis() && modifiedSecond <= Math.floorDiv(c.getIfModifiedSinceMillis(), 1000)) {
      return CommandStatus.CONDITION_NOT_MET;
    }
    if (c.hasIfUnmodifiedSinceMillis() && modifiedSecond > Math.floorDiv(c.getIfUnmodifiedSinceMillis(), 1000)) {
      return CommandStatus.CONDITION_NOT_MET;
    }
    return null;
  }

  /** Whether an If-Match / If-None-Match value ({@code *} or a comma-separated list of ETags) matches {@code etag}. */
  static boolean matches(String header, String etag) {
    for (String candidate : header.split(",")) {
      String t = candidate.trim();
      if (t.equals("*") || t.equals(etag) || unquote(t).equals(unquote(etag))) {
        return true;
      }
    }
    return false;
  }

  private static String unquote(String s) {
    return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s;
  }
}
