package dev.drkit.backup.internal;

import dev.drkit.backup.UnsafePathException;
import dev.drkit.backup.spi.EntryType;
import dev.drkit.core.BlobNotFoundException;
import dev.drkit.core.DrException;
import dev.drkit.core.StorageException;
import dev.drkit.core.internal.DrkitThreads;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * Restores file contents pack by pack, as parallel as a backup: the calling thread reads runs of
 * needed blobs out of each pack (neighbouring blobs in one read) into a pool of reused buffers,
 * {@code W} workers open, decompress and verify each blob into their own reused buffers and write
 * it at every offset of every file that holds it. Reads, decoding and writes overlap; the pool of
 * {@code W + 1} read buffers bounds the work in flight (see {@link MemoryBudget#restore}).
 *
 * <p>Every file is written under a temporary name beside its final one
 * ({@code .drkit-restore-TOKEN-N}), sized at creation, and renamed over the final name (replacing a
 * file or symbolic link there, never a directory) only when every one of its blobs was verified
 * and written and its mode and time were set: a final name never holds unverified or partial
 * content. When the restore fails, files already completed stay, the temporary files of the others
 * are deleted, and the first failure is thrown. A pack that vanished or is truncated falls back to
 * {@link Blobs#read} blob by blob (which finds another copy, or names the damage).
 */
final class RestorePipeline {
  /** Needed blobs at most this far apart in a pack are read in one go (the gap is read and skipped). */
  static final int GAP = 256 << 10;
  /** Files kept open between writes at most; a file beyond it is closed after each write. */
  static final int MAX_OPEN = 256;
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RestorePipeline.class);

  private final Ctx ctx;
  private final Index index;
  private final SafeTarget safe;
  private final ProgressTracker progress;
  private final TargetChannels channels;
  private final String token = java.util.HexFormat.of().formatHex(Crypto.random(8));
  private final AtomicInteger tempSeq = new AtomicInteger();
  private final AtomicInteger openFiles = new AtomicInteger();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
  private final List<FileJob> jobs = new ArrayList<>();
  private final boolean rehash;

  private RestorePipeline(Ctx ctx, Index index, SafeTarget safe, ProgressTracker progress) {
    this.ctx = ctx;
    this.index = index;
    this.safe = safe;
    this.progress = progress;
    this.channels = safe.channels();
    // encrypted: authenticated by the AEAD (associated data binds type and id); unencrypted: always re-hashed
    this.rehash = !ctx.crypto().encrypted();
  }

  /**
   * Restores the contents of {@code files} (their parents are created as needed).
   *
   * @param ctx the repository
   * @param index where each blob of the snapshot is stored (pack, offset, length)
   * @param safe the target
   * @param progress counts bytes and files
   * @param files file nodes
   * @return the bytes written
   * @throws DrException the first failure (an {@code IntegrityException} naming the blob and pack
   *     for damage); completed files stay, no partial file is left under a final name
   */
  static long restore(Ctx ctx, Index index, SafeTarget safe, ProgressTracker progress, List<Node> files) {
    RestorePipeline p = new RestorePipeline(ctx, index, safe, progress);
    try {
      p.run(files);
      return p.bytes.get();
    } catch (RuntimeException | Error e) {
      for (FileJob j : p.jobs) {
        j.abandon(); // the temporary files of unfinished files
      }
      throw e;
    }
  }

  /** One file being restored; guarded by itself. */
  private final class FileJob {
    final Node node;
    final Path path;
    final Path temp;
    final long length;
    int remaining;
    @Nullable FileChannel channel;
    boolean created;
    boolean done;

    FileJob(Node node, Path path, Path temp, long length) {
      this.node = node;
      this.path = path;
      this.temp = temp;
      this.length = length;
    }

    synchronized void write(byte[] data, int off, int len, long at, boolean zero) throws IOException {
      if (done) {
        return;
      }
      FileChannel ch = open(zero);
      if (!zero) {
        ByteBuffer bb = ByteBuffer.wrap(data, off, len);
        long pos = at;
        while (bb.hasRemaining()) {
          pos += ch.write(bb, pos);
        }
      }
      if (--remaining == 0) {
        complete();
      } else if (openFiles.get() > MAX_OPEN) {
        closeChannel();
      }
    }

    /**
     * @param zero whether the first write is an all-zero blob, left as a hole
     * @return the channel of the temporary file, created with the file's length on first use
     */
    FileChannel open(boolean zero) throws IOException {
      FileChannel ch = channel;
      if (ch != null) {
        return ch;
      }
      if (!created) {
        ch = channels.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        created = true;
        if (length > 0 && (remaining > 1 || zero)) {
          // sized at once, so that it does not grow blob by blob; unwritten ranges stay holes (a file
          // of one blob that is not all zeros gets its size from that blob's single write)
          ch.write(ByteBuffer.wrap(new byte[1]), length - 1);
        }
      } else {
        ch = channels.open(temp, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
      }
      channel = ch;
      openFiles.incrementAndGet();
      return ch;
    }

    void closeChannel() throws IOException {
      FileChannel ch = channel;
      if (ch != null) {
        channel = null;
        openFiles.decrementAndGet();
        ch.close();
      }
    }

    /** Every blob written: mode and time set, renamed over the final name. */
    void complete() throws IOException {
      open(false);
      closeChannel();
      Restorer.setMeta(temp, node, true);
      try {
        // rename(2): replaces a file or symbolic link, follows none, and fails (EISDIR) on a directory,
        // so the final name is looked at only when the rename fails: no lookup, and no exception for
        // the name that does not exist yet, per restored file
        Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
          throw new UnsafePathException("refusing to replace directory " + path + " with file '"
              + RawPaths.display(node.path()) + "'");
        }
        throw e;
      }
      done = true;
      bytes.addAndGet(length);
      progress.addFiles(1);
    }

    synchronized void abandon() {
      if (done) {
        return;
      }
      done = true;
      try {
        closeChannel();
      } catch (IOException ignored) {
        // the file is deleted next
      }
      if (created) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException e) {
          LOG.warn("cannot delete {}: {}", temp, e.toString());
        }
      }
    }
  }

  /** Where one blob goes. */
  private record Target(FileJob file, long offset) {}

  /** One needed blob and every place it goes. */
  private static final class BlobUse {
    final PackEntry entry;
    final List<Target> targets = new ArrayList<>(1);

    BlobUse(PackEntry entry) {
      this.entry = entry;
    }

    String forWhat() {
      return "file " + targets.get(0).file().node.pathString();
    }
  }

  /** Neighbouring blobs of one pack read in one go. */
  private record Run(String key, long start, int length, List<BlobUse> blobs) {}

  private void run(List<Node> files) {
    Map<Id, BlobUse> uses = new HashMap<>();
    Map<Id, List<BlobUse>> byPack = new LinkedHashMap<>(); // packs in the order files first need them
    List<FileJob> empty = new ArrayList<>();
    int largest = 0;
    for (Node n : files) {
      if (n.type() != EntryType.FILE) {
        throw new IllegalArgumentException("not a file: " + n.pathString());
      }
      Path p = safe.resolve(n.path());
      safe.ensureParents(p);
      long length = 0;
      long[] offsets = new long[n.chunks().length];
      List<BlobUse> blobUses = new ArrayList<>(n.chunks().length);
      for (Id id : n.chunks()) {
        PackEntry e = index.get(id);
        if (e == null) {
          Blobs.read(ctx, index, id, "file " + n.pathString()); // throws, naming the blob (and its pack when known)
          throw new IllegalStateException("blob " + id.hex() + " is in no index");
        }
        BlobUse u = uses.get(id);
        if (u == null) {
          u = new BlobUse(e);
          uses.put(id, u);
          byPack.computeIfAbsent(e.pack(), k -> new ArrayList<>()).add(u);
          largest = Math.max(largest, e.length());
        }
        offsets[blobUses.size()] = length;
        blobUses.add(u);
        length += e.rawLength();
      }
      FileJob job = new FileJob(n, p, p.resolveSibling(".drkit-restore-" + token + "-" + tempSeq.incrementAndGet()),
          length);
      jobs.add(job);
      job.remaining = blobUses.size();
      for (int i = 0; i < blobUses.size(); i++) {
        blobUses.get(i).targets.add(new Target(job, offsets[i]));
      }
      if (blobUses.isEmpty()) {
        empty.add(job);
      }
    }
    for (FileJob job : empty) {
      try {
        synchronized (job) {
          job.complete();
        }
      } catch (IOException e) {
        throw fileFailure(e, job);
      }
    }
    if (uses.isEmpty()) {
      return;
    }
    int capacity = (int) Math.min(Integer.MAX_VALUE - 16, ctx.crypto().sealedLength(ctx.chunker().max() + 1L));
    int bufferSize = Math.min(capacity, Math.max(largest, 1 << 20));
    int workers = ctx.options().parallelism();
    ArrayBlockingQueue<byte[]> free = new ArrayBlockingQueue<>(workers + 1);
    int buffersCreated = 0;
    AtomicLong seq = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(workers,
        r -> DrkitThreads.create(r, "drkit-restore-" + seq.incrementAndGet(), true));
    ThreadLocal<BlobCodec.Scratch> scratch = ThreadLocal.withInitial(BlobCodec.Scratch::new);
    try {
      for (Map.Entry<Id, List<BlobUse>> pack : byPack.entrySet()) {
        List<BlobUse> blobs = pack.getValue();
        blobs.sort(Comparator.comparingInt(u -> u.entry.offset()));
        String key = Packs.key(pack.getKey());
        int i = 0;
        while (i < blobs.size()) {
          throwIfFailed();
          BlobUse first = blobs.get(i);
          if (first.entry.length() > bufferSize) {
            fallback(List.of(first)); // larger than any blob of this repository: an odd index entry
            i++;
            continue;
          }
          long start = first.entry.offset();
          long end = start + first.entry.length();
          int j = i + 1;
          while (j < blobs.size()) {
            PackEntry e = blobs.get(j).entry;
            if (e.offset() - end > GAP || e.offset() + (long) e.length() - start > bufferSize) {
              break;
            }
            end = Math.max(end, e.offset() + (long) e.length());
            j++;
          }
          Run run = new Run(key, start, (int) (end - start), List.copyOf(blobs.subList(i, j)));
          i = j;
          byte[] buf = free.poll();
          if (buf == null && buffersCreated < workers + 1) {
            buffersCreated++;
            buf = new byte[bufferSize];
          }
          if (buf == null) {
            buf = take(free);
          }
          try {
            ctx.store().getRange(run.key(), run.start(), run.length(), buf, 0);
          } catch (BlobNotFoundException | StorageException e) {
            free.add(buf);
            fallback(run.blobs()); // a vanished or truncated pack: blob by blob, which finds another copy or names it
            continue;
          }
          byte[] b = buf;
          try {
            pool.execute(() -> decode(run, b, scratch, free));
          } catch (RuntimeException e) {
            free.add(b);
            throw e;
          }
        }
      }
      pool.shutdown();
      awaitTermination(pool);
      throwIfFailed();
    } catch (RuntimeException | Error e) {
      failure.compareAndSet(null, e);
      throw e;
    } finally {
      pool.shutdownNow(); // after a failure: stop the workers before their files are deleted
      try {
        if (!pool.awaitTermination(60, TimeUnit.SECONDS)) {
          LOG.warn("restore workers did not stop within 60 s");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void decode(Run run, byte[] buf, ThreadLocal<BlobCodec.Scratch> scratch, ArrayBlockingQueue<byte[]> free) {
    try {
      if (failure.get() != null) {
        return;
      }
      BlobCodec.Scratch s = scratch.get();
      String where = "pack " + run.key();
      for (BlobUse u : run.blobs()) {
        PackEntry e = u.entry;
        int n = ctx.codec().decodeInto(e.type(), e.id(), e.rawLength(), buf, (int) (e.offset() - run.start()),
            e.length(), where, rehash, s);
        deliver(u, s.data(), s.offset(), n);
      }
    } catch (Throwable t) {
      failure.compareAndSet(null, t);
    } finally {
      free.add(buf);
    }
  }

  /** Reads each blob through {@link Blobs#read} (another copy, or an error naming the damage). */
  private void fallback(List<BlobUse> blobs) {
    for (BlobUse u : blobs) {
      byte[] plain = Blobs.read(ctx, index, u.entry.id(), u.forWhat());
      deliver(u, plain, 0, plain.length);
    }
  }

  /** Writes verified plaintext to every place the blob goes. */
  private void deliver(BlobUse u, byte[] data, int off, int len) {
    boolean zero = allZero(data, off, len);
    for (Target t : u.targets) {
      try {
        t.file().write(data, off, len, t.offset(), zero);
      } catch (IOException e) {
        throw fileFailure(e, t.file());
      }
      progress.addBytes(len);
    }
  }

  private static DrException fileFailure(IOException e, FileJob job) {
    return OutOfSpace.failure("cannot restore " + job.path + " (written as " + job.temp.getFileName() + ")",
        job.path.toString(), job.path.getParent() == null ? job.path : job.path.getParent(),
        "run the restore again (files already restored are replaced)", e);
  }

  private void throwIfFailed() {
    Throwable t = failure.get();
    if (t == null) {
      return;
    }
    if (t instanceof RuntimeException re) {
      throw re;
    }
    if (t instanceof Error err) {
      throw err;
    }
    throw new StorageException("restore failed: " + t, t);
  }

  private static byte[] take(ArrayBlockingQueue<byte[]> free) {
    try {
      return free.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StorageException("restore interrupted", e);
    }
  }

  private static void awaitTermination(ExecutorService pool) {
    try {
      if (!pool.awaitTermination(60, TimeUnit.SECONDS)) {
        throw new StorageException("restore workers did not stop within 60 s");
      }
    } catch (InterruptedException e) {
      pool.shutdownNow();
      Thread.currentThread().interrupt();
      throw new StorageException("restore interrupted", e);
    }
  }

  private static boolean allZero(byte[] d, int off, int len) {
    for (int i = off, end = off + len; i < end; i++) {
      if (d[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
