package io.cobalt.node.consensus;

import java.io.BufferedOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;

/**
 * Single-file Raft snapshots, shared by the partition and meta state machines: a snapshot is
 * written to a temporary file, forced to disk, renamed atomically into place with an MD5 beside it,
 * and only then announced to Ratis (which may purge the log up to it).
 */
final class SnapshotFiles {
  /** Writes a state machine's state. */
  @FunctionalInterface
  interface Writer {
    void write(OutputStream out) throws IOException;
  }

  private SnapshotFiles() {}

  /**
   * Writes the snapshot at {@code last} with {@code writer} and makes it the latest one of
   * {@code snapshots}; returns the file, or null if nothing was applied yet ({@code last} null or
   * before the first index).
   */
  static File write(SimpleStateMachineStorage snapshots, TermIndex last, String tmpPrefix, Writer writer)
      throws IOException {
    if (last == null || last.getIndex() < 0) {
      return null;
    }
    File target = snapshots.getSnapshotFile(last.getTerm(), last.getIndex());
    Path tmp = target.toPath().resolveSibling(tmpPrefix + UUID.randomUUID());
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16)) {
      writer.write(out);
      out.flush();
      ch.force(true);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Files.move(tmp, target.toPath(), StandardCopyOption.ATOMIC_MOVE);
    MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(target);
    snapshots.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(target.toPath(), md5), last));
    return target;
  }

  /** Checks a snapshot file against the MD5 saved beside it (when there is one). */
  static void verify(SingleFileSnapshotInfo snapshot) throws IOException {
    if (snapshot.getFile().getFileDigest() != null) {
      MD5FileUtil.verifySavedMD5(snapshot.getFile().getPath().toFile(), snapshot.getFile().getFileDigest());
    }
  }

  /** Deletes temporary files that a crash during {@link #write} left behind. */
  static void removeStale(SimpleStateMachineStorage snapshots, String tmpPrefix) throws IOException {
    File dir = snapshots.getSnapshotFile(0, 0).getParentFile();
    File[] stale = dir == null ? null : dir.listFiles((d, name) -> name.startsWith(tmpPrefix));
    if (stale != null) {
      for (File f : stale) {
        Files.deleteIfExists(f.toPath());
      }
    }
  }

  /** The RUNNING → PAUSED transitions Ratis expects before it installs a snapshot. */
  static void pause(LifeCycle lc) {
    if (lc.getCurrentState() == LifeCycle.State.RUNNING) {
      lc.transition(LifeCycle.State.PAUSING);
      lc.transition(LifeCycle.State.PAUSED);
    }
  }
}
