package dev.drkit.examples.cli.backup;

import dev.drkit.backup.Excludes;
import dev.drkit.backup.FileTreeSource;
import dev.drkit.backup.SkippedEntry;
import dev.drkit.backup.spi.BackupSource;
import dev.drkit.backup.spi.ScanSink;
import dev.drkit.backup.spi.SourceEntry;
import dev.drkit.core.spi.LogPosition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * The {@code backup} command's source: a {@link FileTreeSource} whose scan starts on a daemon thread
 * as soon as the command line is parsed, while the repository is still being opened (its key
 * derivation, {@link EarlyOpen}), and which the backup then receives as it was found. The scan needs
 * nothing of the repository, so on two cores neither waits for the other. A scan with other excludes
 * than those the early one used walks the tree again. The entries are the tree as it was some
 * moments before the repository's lock was taken, as they would be anyway by the time content is
 * read: a file that changes after the scan is caught by the next backup, as always.
 */
final class EarlyScan implements BackupSource {
  private final FileTreeSource tree;
  private final Excludes excludes;
  /** The entries ({@link SourceEntry}) and skipped entries ({@link SkippedEntry}) in scan order. */
  private final CompletableFuture<List<Object>> found = new CompletableFuture<>();

  private EarlyScan(FileTreeSource tree, Excludes excludes) {
    this.tree = tree;
    this.excludes = excludes;
  }

  /**
   * Starts scanning {@code tree} with {@code excludes} on a daemon thread.
   *
   * @param tree the directories to back up
   * @param excludes what the backup will leave out
   * @return the source the backup reads the early scan from
   */
  static EarlyScan start(FileTreeSource tree, Excludes excludes) {
    EarlyScan s = new EarlyScan(Objects.requireNonNull(tree, "tree"), Objects.requireNonNull(excludes, "excludes"));
    Thread t = new Thread(s::walk, "drkit-early-scan");
    t.setDaemon(true);
    t.start();
    return s;
  }

  private void walk() {
    List<Object> events = new ArrayList<>();
    try {
      tree.scan(excludes, new ScanSink() {
        @Override
        public void entry(SourceEntry entry) {
          events.add(entry);
        }

        @Override
        public void skipped(SkippedEntry skipped) {
          events.add(skipped);
        }
      });
      found.complete(events);
    } catch (IOException | RuntimeException e) {
      found.completeExceptionally(e);
    } catch (Error e) {
      found.completeExceptionally(e);
      throw e;
    }
  }

  /** @return whether the early scan is over (done or failed) */
  boolean isDone() {
    return found.isDone();
  }

  @Override
  public String description() {
    return tree.description();
  }

  @Override
  public List<String> paths() {
    return tree.paths();
  }

  @Override
  public void prepare() throws IOException {
    tree.prepare();
  }

  @Override
  public Optional<LogPosition> logPosition() {
    return tree.logPosition();
  }

  @Override
  public void release() throws IOException {
    tree.release();
  }

  /** A fresh scan without excludes (the early one applied the command's excludes). */
  @Override
  public void scan(Consumer<SourceEntry> sink) throws IOException {
    tree.scan(sink);
  }

  /**
   * Hands over the early scan's entries and skipped entries, in their order, waiting for it to end,
   * or its failure; with other {@code excludes} than the early scan's, scans again.
   */
  @Override
  public void scan(Excludes excludes, ScanSink sink) throws IOException {
    if (excludes != this.excludes) {
      tree.scan(excludes, sink);
      return;
    }
    List<Object> events;
    try {
      events = found.join();
    } catch (CompletionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException io) {
        throw io;
      }
      if (c instanceof RuntimeException re) {
        throw re;
      }
      if (c instanceof Error err) {
        throw err;
      }
      throw new UncheckedIOException(new IOException("the scan of " + description() + " failed: " + c, c));
    }
    for (Object o : events) {
      if (o instanceof SourceEntry entry) {
        sink.entry(entry);
      } else {
        sink.skipped((SkippedEntry) o);
      }
    }
  }

  @Override
  public String toString() {
    return "EarlyScan{" + description() + "}";
  }
}
