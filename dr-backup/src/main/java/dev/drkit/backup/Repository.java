package dev.drkit.backup;

import dev.drkit.backup.internal.BackupRun;
import dev.drkit.backup.internal.BlobCodec;
import dev.drkit.backup.internal.TargetChannels;
import dev.drkit.backup.internal.Chunker;
import dev.drkit.backup.internal.MemoryBudget;
import dev.drkit.backup.internal.Crypto;
import dev.drkit.backup.internal.Ctx;
import dev.drkit.backup.internal.Index;
import dev.drkit.backup.internal.Json;
import dev.drkit.backup.internal.Lease;
import dev.drkit.backup.internal.KeyMaterial;
import dev.drkit.backup.internal.KeySlots;
import dev.drkit.backup.internal.Locks;
import dev.drkit.backup.internal.Pruner;
import dev.drkit.backup.internal.Restorer;
import dev.drkit.backup.internal.SnapshotFiles;
import dev.drkit.backup.internal.SnapshotIds;
import dev.drkit.backup.internal.Verifier;
import dev.drkit.core.BlobNotFoundException;
import dev.drkit.core.ConfigException;
import dev.drkit.core.DrException;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.IntegrityException;
import dev.drkit.core.WrongKeyException;
import dev.drkit.core.spi.BlobInfo;
import dev.drkit.core.spi.BlobStore;
import dev.drkit.core.spi.DrEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A deduplicating, compressed, encrypted backup repository on a {@link BlobStore}.
 *
 * <p>Create one with {@link #init}, open it with {@link #open}; then {@link #backup},
 * {@link #snapshots}, {@link #restore}, {@link #verify}, {@link #forget}, {@link #prune} and key
 * management ({@link #addKey}, {@link #changePassphrase}, {@link #removeKey}, {@link #keys}).
 * The format is described in {@code docs/repository-format.md}.
 *
 * <p>Thread-safe; several backups, restores and verifies (in this and other processes) may run at
 * once, while {@link #forget}, {@link #prune} and {@link #removeKey} take the repository alone
 * (lease locks in the store). Every write another process can see is made only while the
 * operation's lease holds: an operation paused past its lease (SIGSTOP, a suspended VM) fails with
 * {@link LeaseExpiredException} at its next commit point instead of committing.
 * Every operation publishes events ({@code backup.started}, {@code backup.succeeded},
 * {@code backup.failed}, {@code restore.*}, {@code verify.*}, {@code prune.*},
 * {@code snapshot.forgotten}, {@code key.*}) on the options' {@link dev.drkit.core.EventBus}.
 *
 * <p>Why this file is longer than 600 lines: it is the repository's whole public surface, about
 * thirty operations whose Javadoc is most of the file, each taking the lock and lease it needs and
 * handing the work to one class of {@code internal} ({@code BackupRun}, {@code Restorer},
 * {@code Verifier}, {@code Pruner}, {@code KeySlots}, ...). Splitting it would split the API a
 * user reads in one place.
 */
public final class Repository implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Repository.class);
  private static final String CONFIG = "config";

  private final Ctx ctx;
  private final @Nullable KeyMaterial material;
  private final @Nullable String slot;
  private final ScheduledExecutorService refresher;

  /**
   * The JSON form of the {@code config} blob (first line; the second is its SHA-256).
   *
   * @param version format version (1)
   * @param id the repository id
   * @param encryption {@code aes-256-gcm}, {@code chacha20-poly1305} or {@code none}
   * @param chunkMin chunker minimum
   * @param chunkAvg chunker average
   * @param chunkMax chunker maximum
   * @param plainKeys base64 key material, only for unencrypted repositories
   */
  record ConfigJson(int version, String id, String encryption, int chunkMin, int chunkAvg, int chunkMax,
      @Nullable String plainKeys) {}

  private Repository(BlobStore store, ConfigJson config, @Nullable KeyMaterial material, @Nullable String slot,
      KeyMaterial effective, RepositoryOptions options) {
    Crypto crypto = new Crypto(effective, material == null ? null : Crypto.Aead.ofConfigName(config.encryption()));
    this.ctx = new Ctx(store, config.id(), crypto, new BlobCodec(crypto, options.compressionLevel()),
        new Chunker(effective.gearSeed(), config.chunkMin(), config.chunkAvg(), config.chunkMax()), options);
    this.material = material;
    this.slot = slot;
    this.refresher = Executors.newSingleThreadScheduledExecutor(
        dev.drkit.core.internal.DrkitThreads.named("drkit-lock-refresh", true));
  }

  /**
   * @param store a blob store
   * @return whether it holds a repository
   */
  public static boolean exists(BlobStore store) {
    return store.stat(CONFIG).isPresent();
  }

  /**
   * Creates a repository.
   *
   * @param store an empty blob store (or one without a repository)
   * @param encryption {@link EncryptionConfig#aes256Gcm}, {@link EncryptionConfig#chacha20Poly1305} or,
   *     explicitly, {@link EncryptionConfig#none()}
   * @param passphrase the first key slot's passphrase (ignored when unencrypted; may then be null)
   * @param options options (chunk sizes and KDF cost are fixed here)
   * @return the open repository
   * @throws RepositoryExistsException when the store already holds one
   * @throws ConfigException for an empty passphrase
   */
  public static Repository init(BlobStore store, EncryptionConfig encryption, char @Nullable [] passphrase,
      RepositoryOptions options) {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(encryption, "encryption");
    Objects.requireNonNull(options, "options");
    boolean encrypted = encryption.enabled();
    if (encrypted && (passphrase == null || passphrase.length == 0)) {
      throw new ConfigException("passphrase", "must not be empty for an encrypted repository");
    }
    if (exists(store)) {
      throw new RepositoryExistsException("a repository already exists in " + store);
    }
    String id = HexFormat.of().formatHex(Crypto.random(32));
    KeyMaterial material = KeyMaterial.generate();
    ConfigJson cfg = new ConfigJson(1, id, encryption.algorithm().configName(), options.chunkMin(),
        options.chunkAvg(), options.chunkMax(),
        encrypted ? null : Base64.getEncoder().encodeToString(material.toBytes()));
    String slot = null;
    if (encrypted) {
      slot = writeSlot(store, id, material, Objects.requireNonNull(passphrase), options); // encrypted: has one
    }
    byte[] json = Json.write(cfg);
    String text = new String(json, StandardCharsets.UTF_8) + "\n" + Crypto.sha256(json).hex() + "\n";
    if (!store.putIfAbsent(CONFIG, text.getBytes(StandardCharsets.UTF_8))) {
      if (slot != null) {
        store.delete(slot);
      }
      throw new RepositoryExistsException("a repository was created concurrently in " + store);
    }
    Repository repo = new Repository(store, cfg, encrypted ? material : null, slot, material, options);
    repo.ctx.event(DrEvent.Severity.INFO, "repository.initialized", "backup repository " + id.substring(0, 8)
        + " initialized (" + cfg.encryption() + ")", "encryption", cfg.encryption());
    return repo;
  }

  private static String writeSlot(BlobStore store, String repoId, KeyMaterial m, char[] passphrase,
      RepositoryOptions options) {
    byte[] slot = KeySlots.create(repoId, m, passphrase, options.kdfIterations(), options.clock().instant(),
        options.host());
    String key = "keys/" + Crypto.sha256(slot).hex();
    store.putIfAbsent(key, slot);
    return key;
  }

  /**
   * Opens a repository.
   *
   * @param store the blob store
   * @param passphrase a passphrase of any key slot (ignored, may be null, when unencrypted)
   * @param options pack size, parallelism, clock, host name and the other settings of this session
   * @return the open repository
   * @throws RepositoryNotFoundException when the store holds no repository
   * @throws WrongKeyException when no key slot opens with the passphrase
   * @throws IntegrityException when the config or a key slot is damaged
   */
  public static Repository open(BlobStore store, char @Nullable [] passphrase, RepositoryOptions options) {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(options, "options");
    byte[] raw;
    try {
      raw = store.get(CONFIG);
    } catch (BlobNotFoundException e) {
      throw new RepositoryNotFoundException("no backup repository in " + store + " (no config blob)");
    }
    ConfigJson cfg = parseConfig(raw);
    if (cfg.plainKeys() != null) {
      KeyMaterial m;
      try {
        m = KeyMaterial.parse(Base64.getDecoder().decode(cfg.plainKeys()));
      } catch (IllegalArgumentException e) {
        throw new IntegrityException("config of the repository holds malformed key material", e);
      }
      return new Repository(store, cfg, null, null, m, options);
    }
    if (passphrase == null || passphrase.length == 0) {
      throw new WrongKeyException("repository " + cfg.id().substring(0, 8) + " is encrypted: a passphrase is required");
    }
    // Data binding sets itself up on the other core while this one derives the key.
    Json.warmUpInBackground();
    List<BlobInfo> slots = store.list("keys/");
    if (slots.isEmpty()) {
      throw new IntegrityException("repository " + cfg.id().substring(0, 8) + " is encrypted but holds no key slot"
          + " under keys/: its key slots were deleted, or it is read through a store that maps keys differently"
          + " from the one that wrote it (for S3, another key layout)");
    }
    IntegrityException damaged = null;
    for (BlobInfo info : slots) {
      byte[] data = store.get(info.key());
      if (!Crypto.sha256(data).hex().equals(info.key().substring("keys/".length()))) {
        damaged = new IntegrityException("key slot " + info.key() + " does not match its name (damaged)");
        LOG.warn("{}", damaged.getMessage());
        continue;
      }
      KeySlots.Slot s;
      try {
        s = KeySlots.parse(data, info.key());
      } catch (IntegrityException e) {
        damaged = e;
        continue;
      }
      Optional<KeyMaterial> m = KeySlots.tryOpen(s, cfg.id(), passphrase);
      if (m.isPresent()) {
        return new Repository(store, cfg, m.get(), info.key(), m.get(), options);
      }
    }
    if (damaged != null) {
      throw new IntegrityException("no intact key slot opens repository " + cfg.id().substring(0, 8)
          + " with this passphrase; " + damaged.getMessage(), damaged);
    }
    throw new WrongKeyException("wrong passphrase: none of the " + slots.size() + " key slots of repository "
        + cfg.id().substring(0, 8) + " opens with it");
  }

  @SuppressWarnings("NullAway") // a missing member is refused right below, before the record is used
  private static ConfigJson parseConfig(byte[] raw) {
    String text = new String(raw, StandardCharsets.UTF_8);
    String[] lines = text.split("\n");
    if (lines.length < 2) {
      throw new IntegrityException("repository config is truncated");
    }
    byte[] json = lines[0].getBytes(StandardCharsets.UTF_8);
    if (!Crypto.sha256(json).hex().equals(lines[1].trim())) {
      throw new IntegrityException("repository config does not match its checksum (damaged)");
    }
    String what = "repository config";
    Map<String, @Nullable Object> m = Json.readFlat(json, what);
    ConfigJson cfg = new ConfigJson(Json.integer(m, "version", what), Json.string(m, "id", what),
        Json.string(m, "encryption", what), Json.integer(m, "chunkMin", what), Json.integer(m, "chunkAvg", what),
        Json.integer(m, "chunkMax", what), Json.string(m, "plainKeys", what));
    if (cfg.version() != 1 || cfg.id() == null
        || !(Crypto.Aead.ofConfigName(cfg.encryption()) != null || "none".equals(cfg.encryption()))
        || ("none".equals(cfg.encryption()) != (cfg.plainKeys() != null))) {
      throw new IntegrityException("repository config has an unsupported version or encryption: " + lines[0]);
    }
    return cfg;
  }

  /** @return the repository's id (64 hex digits) */
  public String id() {
    return ctx.repoId();
  }

  /** @return the internals, for tests in this package */
  Ctx ctx() {
    return ctx;
  }

  /** @return whether data is encrypted */
  public boolean encrypted() {
    return material != null;
  }

  /** @return the repository's cipher, {@link EncryptionConfig.Algorithm#NONE} when unencrypted */
  public EncryptionConfig.Algorithm algorithm() {
    Crypto crypto = ctx.crypto();
    return crypto.encrypted() ? EncryptionConfig.Algorithm.parse(crypto.aead().configName())
        : EncryptionConfig.Algorithm.NONE;
  }

  /** @return this handle's options */
  public RepositoryOptions options() {
    return ctx.options();
  }

  private Locks.Held lock(String owner, boolean exclusive) {
    Locks.Held held = Locks.acquire(ctx.store(), owner, ctx.options().host(), exclusive, ctx.clock(),
        ctx.options().lockLease());
    return held;
  }

  /**
   * Runs a reader under a shared lock; on a store that refuses the lock's write (a read-only
   * replica, read-only credentials) it runs without one, after a warning: a prune running
   * meanwhile can then make it fail, never report damage that is not there (a vanished pack makes
   * it re-read the index once).
   */
  private <T> T readLocked(String owner, java.util.function.Function<Lease, T> body) {
    Locks.Held held;
    try {
      held = lock(owner, false);
    } catch (dev.drkit.core.StorageException e) {
      LOG.warn("cannot write a lock for {} ({}); reading without one", owner, e.getMessage());
      ctx.event(DrEvent.Severity.WARN, "lock.unavailable", owner + " runs without a lock: " + e.getMessage(),
          "owner", owner);
      return body.apply(Lease.NONE);
    }
    return holding(held, body::apply);
  }

  private <T> T locked(String owner, boolean exclusive, java.util.function.Function<Locks.Held, T> body) {
    return holding(lock(owner, exclusive), body);
  }

  /** Runs {@code body} while {@code lock} is refreshed, and releases it. */
  private <T> T holding(Locks.Held lock, java.util.function.Function<Locks.Held, T> body) {
    try (Locks.Held held = lock) {
      long every = Math.max(1, ctx.options().lockLease().toMillis() / 3);
      ScheduledFuture<?> f = refresher.scheduleAtFixedRate(() -> {
        try {
          held.refresh();
        } catch (LeaseExpiredException e) {
          LOG.warn("lock {} is lost: {}", held.key(), e.getMessage());
          throw e; // no further refreshes: the operation fails at its next commit point
        } catch (DrException e) {
          LOG.warn("could not refresh lock {}", held.key(), e);
        }
      }, every, every, TimeUnit.MILLISECONDS);
      try {
        return body.apply(held);
      } finally {
        f.cancel(false);
      }
    }
  }

  /**
   * The heap a backup through this handle needs at most: with the repository's maximum chunk size
   * {@code M}, the pack size {@code P}, the parallelism {@code W} and the store's write concurrency
   * {@code U}, {@code 2M + F + W M + (U + 1) C + 16 MiB} where
   * {@code F = M max(floor((32 MiB + M) / M), W + 1)} (the chunk buffers) and {@code C = max(P, S + 128)}
   * (a pack buffer; {@code S} the largest sealed blob) (docs/backup.md, "Memory"); 136 MiB with the
   * defaults on 2 cores and a local directory. A
   * backup is refused with an {@link InsufficientHeapException} when
   * {@link RepositoryOptions#heapLimit()} is lower.
   *
   * @return bytes of heap
   */
  public long backupMemory() {
    return MemoryBudget.backup(ctx.chunker().max(), ctx.options().packSize(), ctx.options().parallelism(),
        ctx.store().writeConcurrency());
  }

  /**
   * The heap a restore through this handle needs at most: {@code (W + 1) S + W (2M + 1) + 16 MiB}
   * with the parallelism {@code W}, the repository's maximum chunk size {@code M} and the longest
   * sealed blob {@code S = M + 1 + 28 ceil((M + 1) / 64 KiB)} (docs/backup.md, "Memory"). A restore is refused with an {@link InsufficientHeapException} when
   * {@link RepositoryOptions#heapLimit()} is lower.
   *
   * @return bytes of heap
   */
  public long restoreMemory() {
    return MemoryBudget.restore(ctx.chunker().max(), ctx.options().parallelism());
  }

  /**
   * Backs up a source. Runs {@code prepare}, scans, stores new data, writes the snapshot last,
   * and always runs {@code release}. Packs left by an interrupted earlier backup are reused.
   *
   * @param request what to back up
   * @return the new snapshot; entries the source could not capture are left out and listed in
   *     {@link Snapshot#skipped()} (a partial snapshot, restic's way)
   * @throws dev.drkit.core.StorageException when the source or the store fails (no snapshot is written)
   * @throws IllegalArgumentException when the source yields a path twice, or the request's
   *     {@link Excludes} need a file system the source does not have (no snapshot is written)
   * @throws RepositoryLockedException when a prune or forget holds the repository
   * @throws InsufficientHeapException when the heap limit is below {@link #backupMemory()} (nothing
   *     is written)
   * @throws LeaseExpiredException when the lock lease lapsed before the snapshot was committed (no
   *     snapshot is written; running the backup again is safe)
   */
  public Snapshot backup(BackupRequest request) {
    Objects.requireNonNull(request, "request");
    String source = request.source().description();
    MemoryBudget.require("backup of " + source, backupMemory(), ctx.options().heapLimit());
    ctx.event(DrEvent.Severity.INFO, "backup.started", "backup of " + source + " started",
        "source", source, "type", request.type().configName());
    try {
      Snapshot s = locked("backup of " + source, false, held -> {
        boolean prepared = false;
        try {
          request.source().prepare();
          prepared = true;
          // the scan runs here while a second thread loads the snapshots and the index (in this
          // order: a snapshot another backup commits meanwhile is either not seen or seen with its
          // index). Only packs that exist with their indexed size, none a prune is deleting: a
          // backup never deduplicates against a blob whose pack is gone
          return BackupRun.run(ctx, request, held);
        } catch (IOException e) {
          throw new dev.drkit.core.StorageException("cannot prepare backup source " + source + ": " + e, e);
        } finally {
          try {
            request.source().release();
          } catch (IOException | RuntimeException e) {
            LOG.warn("release of backup source {} failed (prepared: {})", source, prepared, e);
          }
        }
      });
      BackupStats st = s.stats();
      ctx.event(DrEvent.Severity.INFO, "backup.succeeded", "backup of " + source + " stored snapshot " + s.shortId(),
          "snapshot", s.id(), "type", s.type().configName(), "files", st.files(), "bytes", st.totalBytes(),
          "bytesStored", st.bytesStored(), "durationMillis", st.durationMillis(), "skipped", s.skipped().size());
      return s;
    } catch (RuntimeException | Error e) {
      publishFailure("backup.failed", "backup of " + source + " failed: " + e.getMessage(), e);
      throw e;
    }
  }

  private void publishFailure(String type, String message, Throwable e) {
    ctx.event(DrEvent.Severity.ERROR, type, message, "error", e.getClass().getSimpleName());
  }

  /**
   * @return every snapshot, oldest first
   * @throws IntegrityException when a snapshot file is damaged
   */
  public List<Snapshot> snapshots() {
    return SnapshotFiles.list(ctx);
  }

  /**
   * Finds a snapshot.
   *
   * @param idOrPrefix a full id, a unique prefix of at least 4 hex digits (in either case), or
   *     {@code latest}
   * @return the snapshot
   * @throws InvalidSnapshotIdException when it is neither {@code latest} nor 4 to 64 hex digits
   * @throws NoSuchSnapshotException when no snapshot matches it
   * @throws AmbiguousSnapshotIdException when several match it (the message names them)
   * @throws IntegrityException when the snapshot file it names is damaged
   */
  public Snapshot snapshot(String idOrPrefix) {
    return snapshot(idOrPrefix, SnapshotFilter.ALL);
  }

  /**
   * The full id of the snapshot an id or unique prefix names, found by the snapshot files' names
   * alone: a damaged snapshot file is named too (it is not read). {@code latest} reads every
   * snapshot file, as {@link #snapshot(String)} does.
   *
   * @param idOrPrefix a full id, a unique prefix of at least 4 hex digits (in either case), or
   *     {@code latest}
   * @return the full id (64 lower-case hex digits, unless a stray file's name)
   * @throws InvalidSnapshotIdException when it is neither {@code latest} nor 4 to 64 hex digits
   * @throws NoSuchSnapshotException when no snapshot file's name starts with it
   * @throws AmbiguousSnapshotIdException when several do (the message names them)
   * @throws IntegrityException for {@code latest}, when a snapshot file is damaged
   */
  public String snapshotId(String idOrPrefix) {
    Objects.requireNonNull(idOrPrefix, "idOrPrefix");
    return SnapshotIds.isLatest(idOrPrefix) ? snapshot(idOrPrefix).id()
        : SnapshotIds.idOf(SnapshotIds.key(ctx, idOrPrefix));
  }

  /**
   * @param filter which snapshots to consider
   * @return the snapshots matching {@code filter}, oldest first
   * @throws IntegrityException when a snapshot file is damaged
   */
  public List<Snapshot> snapshots(SnapshotFilter filter) {
    Objects.requireNonNull(filter, "filter");
    return filter.filter(snapshots());
  }

  /**
   * Lists the snapshots that can be read, leaving damaged snapshot files out: one damaged file
   * does not hide the others (like {@code restic snapshots}). Each damaged file is handed to
   * {@code damaged} (its message names the file); it cannot be matched against {@code filter}.
   *
   * @param filter which snapshots to list
   * @param damaged told of each damaged snapshot file, in the store's listing order
   * @return the readable snapshots matching {@code filter}, oldest first
   */
  public List<Snapshot> snapshots(SnapshotFilter filter,
      java.util.function.Consumer<? super IntegrityException> damaged) {
    Objects.requireNonNull(filter, "filter");
    Objects.requireNonNull(damaged, "damaged");
    return filter.filter(SnapshotFiles.list(ctx, damaged::accept));
  }

  /**
   * Finds a snapshot among those {@code filter} selects: {@code latest} is the newest matching one
   * (like restic's {@code latest --host H --path P}); an id or prefix must also match the filter.
   *
   * @param idOrPrefix a full id, a unique prefix of at least 4 hex digits (in either case), or
   *     {@code latest}
   * @param filter which snapshots to consider
   * @return the snapshot
   * @throws InvalidSnapshotIdException when it is neither {@code latest} nor 4 to 64 hex digits
   * @throws NoSuchSnapshotException when none matches (the message names what was typed, escaped;
   *     for {@code latest}, the filter)
   * @throws AmbiguousSnapshotIdException when several match (the message names them)
   * @throws IntegrityException when the snapshot file an id or prefix names is damaged, or, for
   *     {@code latest}, when any snapshot file is damaged (it could be the newest); a damaged file
   *     that an id or prefix does not name is not read
   */
  public Snapshot snapshot(String idOrPrefix, SnapshotFilter filter) {
    Objects.requireNonNull(idOrPrefix, "idOrPrefix");
    Objects.requireNonNull(filter, "filter");
    String of = filter.isAll() ? "" : " of " + filter;
    if (SnapshotIds.isLatest(idOrPrefix)) {
      List<IntegrityException> damaged = new ArrayList<>();
      List<Snapshot> all = filter.filter(SnapshotFiles.list(ctx, damaged::add));
      if (!damaged.isEmpty()) {
        // a damaged snapshot may be the newest one: never hand out an older one as "latest"
        throw new IntegrityException("cannot tell which snapshot is the latest: " + damaged.get(0).getMessage()
            + (damaged.size() > 1 ? " (and " + (damaged.size() - 1) + " more damaged snapshot files)" : "")
            + "; name the snapshot to use by its id instead", damaged.get(0));
      }
      if (all.isEmpty()) {
        throw new NoSuchSnapshotException(idOrPrefix, "the repository has no snapshots" + of);
      }
      return all.get(all.size() - 1);
    }
    String prefix = SnapshotIds.normalize(idOrPrefix);
    List<String> keys = SnapshotIds.keys(ctx, prefix);
    if (filter.isAll() && keys.size() > 1) {
      // told apart by their names: none is read (one of them may be damaged)
      throw SnapshotIds.ambiguous(idOrPrefix, keys.stream().map(SnapshotIds::idOf).toList(), of);
    }
    // only the files the prefix names are read: a damaged other snapshot does not stand in the way
    List<Snapshot> match = new ArrayList<>();
    for (String key : keys) {
      try {
        Snapshot s = SnapshotFiles.read(ctx, key);
        if (filter.matches(s)) {
          match.add(s);
        }
      } catch (dev.drkit.core.BlobNotFoundException e) {
        // forgotten between the listing and the read
      }
    }
    if (match.isEmpty()) {
      throw SnapshotIds.notFound(idOrPrefix, of);
    }
    if (match.size() > 1) {
      throw SnapshotIds.ambiguous(idOrPrefix, match.stream().map(Snapshot::id).toList(), of);
    }
    return match.get(0);
  }

  /**
   * Restores a snapshot, or paths within it, into {@code target}. Never writes outside it.
   *
   * @param snapshotId id, unique prefix or {@code latest}
   * @param target the target directory (created when absent; existing files are overwritten)
   * @param includes entry paths (relative, {@code /}-separated) to restore with everything below
   *     them; empty for the whole snapshot
   * @param listener progress
   * @return what was restored
   * @throws UnsafePathException when an entry would leave the target
   * @throws IllegalArgumentException when one of {@code includes} matches no entry (nothing is restored)
   * @throws IntegrityException naming the blob and pack when data is missing or damaged
   * @throws InsufficientHeapException when the heap limit is below {@link #restoreMemory()}
   *     (nothing is written)
   * @throws RepositoryLockedException when a prune or forget holds the repository (restore takes a
   *     shared lock, so no prune deletes data under it)
   * @throws LeaseExpiredException when data vanished after the restore's lease lapsed (a prune ran
   *     meanwhile; run it again)
   * @throws dev.drkit.core.StorageFullException naming the file when the target's file system is full
   *     (the files restored so far stay, no partial file is left under a final name)
   */
  public RestoreResult restore(String snapshotId, Path target, List<String> includes, ProgressListener listener) {
    return restore(snapshotId, target, includes, listener, TargetChannels.DEFAULT);
  }

  /** {@link #restore(String, Path, List, ProgressListener)} writing files through {@code channels} (tests). */
  RestoreResult restore(String snapshotId, Path target, List<String> includes, ProgressListener listener,
      TargetChannels channels) {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(includes, "includes");
    Objects.requireNonNull(listener, "listener");
    MemoryBudget.require("restore of " + snapshotId, restoreMemory(), ctx.options().heapLimit());
    return readLocked("restore of " + snapshotId, held -> {
      Snapshot s = snapshot(snapshotId);
      ctx.event(DrEvent.Severity.INFO, "restore.started", "restore of snapshot " + s.shortId() + " to " + target
          + " started", "snapshot", s.id(), "target", target);
      try {
        RestoreResult r;
        try {
          r = Restorer.restore(ctx, Index.loadUsable(ctx, false), s, target, includes, listener, channels);
        } catch (IntegrityException e) {
          // data vanished under a restore whose lease lapsed: a prune ran meanwhile; not damage
          held.check("restore of snapshot " + s.shortId() + " interrupted (" + e.getMessage() + "); run it again");
          throw e;
        }
        ctx.event(DrEvent.Severity.INFO, "restore.succeeded", "restored snapshot " + s.shortId() + " to " + target,
            "snapshot", s.id(), "files", r.files(), "bytes", r.bytes(), "durationMillis", r.durationMillis());
        return r;
      } catch (RuntimeException | Error e) {
        publishFailure("restore.failed", "restore of snapshot " + s.shortId() + " failed: " + e.getMessage(), e);
        throw e;
      }
    });
  }

  /**
   * Restores a whole snapshot.
   *
   * @param snapshotId id, unique prefix or {@code latest}
   * @param target the target directory
   * @return what was restored
   */
  public RestoreResult restore(String snapshotId, Path target) {
    return restore(snapshotId, target, List.of(), ProgressListener.NONE);
  }

  /**
   * Checks the repository: structure always (every snapshot readable, every referenced blob
   * indexed, every indexed pack present) and, with {@code readData}, every pack downloaded, every
   * blob decrypted, decompressed and re-hashed. Never throws for damage: it is reported, naming
   * each damaged object and blob and the snapshots and files it breaks. Also checks every pack's
   * size against its index entries, every file entry's size against its content and that no tree
   * holds a name twice. Stale index entries, temporary files of unfinished writes and interrupted
   * prunes are reported as {@link VerifyReport#notices()}, not damage. Takes a shared lock; fails
   * with {@link LeaseExpiredException} rather than report damage seen after its lease lapsed.
   *
   * @param readData whether to read all data
   * @param listener progress (packs and bytes)
   * @return the report
   */
  public VerifyReport verify(boolean readData, ProgressListener listener) {
    ctx.event(DrEvent.Severity.INFO, "verify.started", "verify started", "readData", readData);
    VerifyReport r = readLocked("verify", held -> Verifier.verify(ctx, readData, listener, held));
    if (r.ok()) {
      ctx.event(DrEvent.Severity.INFO, "verify.succeeded", "repository verified without damage", "readData", readData,
          "packs", r.packs(), "blobs", r.blobs(), "snapshots", r.snapshots());
    } else {
      ctx.event(DrEvent.Severity.ERROR, "verify.failed", "repository damaged: " + r.damage().size() + " problems",
          "readData", readData, "problems", r.damage().size(), "first", r.damage().get(0).reason());
    }
    return r;
  }

  /**
   * Removes snapshots (their data stays until {@link #prune}). Takes the repository alone. A
   * snapshot whose file is damaged (undecryptable, truncated, malformed) is removed too when
   * named by its id or a unique prefix: that file and nothing else is deleted, with a {@code WARN}
   * log line and a {@code snapshot.forgotten} event of severity {@code WARN} saying it was damaged.
   * The next {@link #prune} then treats the data only it referenced as unused, as it must: nothing
   * can restore that snapshot any more.
   *
   * @param ids full ids, unique prefixes (in either case) or {@code latest}
   * @return the full ids removed
   * @throws InvalidSnapshotIdException when one is not an id (nothing is removed)
   * @throws NoSuchSnapshotException when one matches no snapshot (nothing is removed)
   * @throws AmbiguousSnapshotIdException when one matches several (nothing is removed)
   * @throws IntegrityException for {@code latest}, when a snapshot file is damaged (nothing is removed)
   * @throws RepositoryLockedException when another process holds a lock
   * @throws LeaseExpiredException when the lease lapsed before a snapshot was deleted (those before
   *     it are forgotten)
   */
  public List<String> forget(Collection<String> ids) {
    return forget(ids, (id, e) -> { });
  }

  /**
   * Like {@link #forget(Collection)}, and tells {@code damaged} of each snapshot removed whose
   * file was damaged, once that file is deleted.
   *
   * @param ids full ids, unique prefixes (in either case) or {@code latest}
   * @param damaged told the full id of each damaged snapshot removed and what was wrong with its file
   * @return the full ids removed, damaged ones included
   * @throws InvalidSnapshotIdException when one is not an id (nothing is removed)
   * @throws NoSuchSnapshotException when one matches no snapshot (nothing is removed)
   * @throws AmbiguousSnapshotIdException when one matches several (nothing is removed)
   * @throws IntegrityException for {@code latest}, when a snapshot file is damaged (nothing is removed)
   * @throws RepositoryLockedException when another process holds a lock
   * @throws LeaseExpiredException when the lease lapsed before a snapshot was deleted (those before
   *     it are forgotten)
   */
  public List<String> forget(Collection<String> ids,
      java.util.function.BiConsumer<? super String, ? super IntegrityException> damaged) {
    Objects.requireNonNull(ids, "ids");
    Objects.requireNonNull(damaged, "damaged");
    for (String id : ids) {
      Objects.requireNonNull(id, "id");
    }
    return locked("forget", true, held -> {
      // every id is resolved, by the files' names, and every file read before anything is deleted
      java.util.Set<String> keys = new java.util.LinkedHashSet<>();
      for (String id : ids) {
        keys.add(SnapshotIds.isLatest(id) ? "snapshots/" + snapshot(id).id() : SnapshotIds.key(ctx, id));
      }
      Map<String, Snapshot> intact = new java.util.HashMap<>();
      Map<String, IntegrityException> broken = new java.util.LinkedHashMap<>();
      for (String key : keys) {
        try {
          intact.put(key, SnapshotFiles.read(ctx, key));
        } catch (dev.drkit.core.BlobNotFoundException e) {
          // forgotten between the listing and the read
        } catch (IntegrityException e) {
          broken.put(key, e); // named by the operator: removed all the same, and said so
        }
      }
      List<String> removed = new ArrayList<>();
      for (String key : keys) {
        String id = SnapshotIds.idOf(key);
        String shortId = id.substring(0, Math.min(8, id.length()));
        held.check("snapshot " + shortId + " and those after it not forgotten (forgotten: " + removed.size()
            + "); run forget again");
        IntegrityException why = broken.get(key);
        if (why == null) {
          Snapshot s = intact.get(key);
          if (s != null && ctx.store().delete(key)) {
            removed.add(id);
            ctx.event(DrEvent.Severity.INFO, "snapshot.forgotten", "snapshot " + s.shortId() + " forgotten",
                "snapshot", s.id(), "time", s.time());
          }
        } else if (ctx.store().delete(key)) {
          removed.add(id);
          String reason = String.valueOf(why.getMessage());
          LOG.warn("forgot damaged snapshot {} ({}); the data only it referenced is unused now, for the next prune",
              id, reason);
          ctx.event(DrEvent.Severity.WARN, "snapshot.forgotten", "damaged snapshot " + shortId + " forgotten: "
              + reason, "snapshot", id, "damaged", true, "reason", reason);
          damaged.accept(id, why);
        }
      }
      return removed;
    });
  }

  /**
   * What {@link #applyRetention(dev.drkit.core.config.RetentionPolicy)} would do, without changing anything
   * (a dry run): every snapshot with the decision to keep or remove it and the rules that keep it.
   * Snapshots are grouped by host and paths, calendar rules use the zone of the repository's clock
   * ({@link RepositoryOptions#clock()}, UTC by default) and {@code keep-within} counts back from
   * that clock's now.
   *
   * @param policy the retention policy (no rule at all keeps everything)
   * @return the plan; {@link dev.drkit.backup.retention.RetentionPlan#render(int)} prints it
   * @throws NullPointerException when {@code policy} is null
   * @throws IntegrityException when a snapshot file is damaged: the message names it and says to
   *     remove it by id with {@link #forget(Collection)} first
   */
  public dev.drkit.backup.retention.RetentionPlan planRetention(dev.drkit.core.config.RetentionPolicy policy) {
    return planRetention(policy, dev.drkit.backup.retention.RetentionPlanner.create(ctx.clock().getZone()));
  }

  /**
   * Like {@link #planRetention(dev.drkit.core.config.RetentionPolicy)} with a planner of the caller's zone
   * and grouping.
   *
   * @param policy the retention policy
   * @param planner the planner (zone of the calendar rules, grouping)
   * @return the plan
   * @throws NullPointerException when an argument is null
   * @throws IntegrityException when a snapshot file is damaged (named, with how to remove it)
   */
  public dev.drkit.backup.retention.RetentionPlan planRetention(dev.drkit.core.config.RetentionPolicy policy,
      dev.drkit.backup.retention.RetentionPlanner planner) {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(planner, "planner");
    // a policy decides by time and group: a snapshot whose time cannot be read could be the one it
    // keeps, and is never guessed about
    return planner.plan(SnapshotFiles.listOrRefuse(ctx, "a retention policy cannot tell whether it keeps or"
        + " removes that snapshot, and nothing was removed"), policy, ctx.clock().instant());
  }

  /**
   * Applies a retention policy: plans as {@link #planRetention(dev.drkit.core.config.RetentionPolicy)} does
   * and {@linkplain #forget forgets} every snapshot the plan removes (their data stays until
   * {@link #prune}). Like restic, refuses a plan that would leave a group without any snapshot
   * (only a policy of {@code keep-tags} alone can) rather than delete a whole backup set by a
   * mistyped tag.
   *
   * @param policy the retention policy
   * @return the plan that was carried out
   * @throws IllegalStateException when the plan would remove every snapshot of a group (nothing is
   *     removed)
   * @throws IntegrityException when a snapshot file is damaged: nothing is removed, and the message
   *     names the file and says to remove it by id with {@link #forget(Collection)} first
   * @throws RepositoryLockedException when another process holds a lock
   */
  public dev.drkit.backup.retention.RetentionPlan applyRetention(dev.drkit.core.config.RetentionPolicy policy) {
    return applyRetention(policy, dev.drkit.backup.retention.RetentionPlanner.create(ctx.clock().getZone()));
  }

  /**
   * Like {@link #applyRetention(dev.drkit.core.config.RetentionPolicy)} with a planner of the caller's zone
   * and grouping.
   *
   * @param policy the retention policy
   * @param planner the planner (zone of the calendar rules, grouping)
   * @return the plan that was carried out
   * @throws IllegalStateException when the plan would remove every snapshot of a group
   * @throws RepositoryLockedException when another process holds a lock
   */
  public dev.drkit.backup.retention.RetentionPlan applyRetention(dev.drkit.core.config.RetentionPolicy policy,
      dev.drkit.backup.retention.RetentionPlanner planner) {
    dev.drkit.backup.retention.RetentionPlan plan = planRetention(policy, planner);
    if (!plan.emptiedGroups().isEmpty()) {
      throw new IllegalStateException("retention policy " + policy + " would remove every snapshot of "
          + plan.emptiedGroups().get(0).describe() + "; refusing to apply it (keep-tags alone removes every"
          + " snapshot without one of the tags)");
    }
    if (!plan.idsToRemove().isEmpty()) {
      forget(plan.idsToRemove());
    }
    ctx.event(DrEvent.Severity.INFO, "retention.applied", "retention kept " + plan.toKeep().size()
        + " and removed " + plan.toRemove().size() + " snapshot(s)",
        "kept", plan.toKeep().size(), "removed", plan.toRemove().size());
    return plan;
  }

  /**
   * Reclaims the space of data no snapshot references: deletes unused packs, repacks partly used
   * ones, and removes packs left by interrupted backups and their temporary files once older than a
   * lease (see {@link TemporaryFiles}). Takes the repository alone. Memory is
   * bounded by the number of blobs (ids only), never by data size.
   *
   * @param listener progress (packs)
   * @return what was reclaimed
   * @throws RepositoryLockedException when another process holds a lock
   * @throws LeaseExpiredException when the lease lapsed before a commit point (the next prune
   *     finishes the job; see {@code docs/repository-format.md})
   */
  public PruneResult prune(ProgressListener listener) {
    return prune(0.0, listener);
  }

  /**
   * Like {@link #prune(ProgressListener)}, but leaves partly used packs alone as long as the bytes
   * they waste stay within {@code maxUnused} of the repository (restic's {@code --max-unused}):
   * fewer bytes rewritten (and, on object stores, fewer requests and less egress) for some space
   * kept. Packs nothing uses are always deleted.
   *
   * @param maxUnused the tolerated fraction of unused bytes, 0 (repack every partly used pack) to
   *     1 (repack none)
   * @param listener progress (packs)
   * @return what was reclaimed
   * @throws IllegalArgumentException when {@code maxUnused} is outside [0, 1]
   * @throws RepositoryLockedException when another process holds a lock
   */
  public PruneResult prune(double maxUnused, ProgressListener listener) {
    Objects.requireNonNull(listener, "listener");
    if (!(maxUnused >= 0 && maxUnused <= 1)) {
      throw new IllegalArgumentException("maxUnused must be in [0, 1] but was " + maxUnused);
    }
    ctx.event(DrEvent.Severity.INFO, "prune.started", "prune started");
    try {
      PruneResult r = locked("prune", true, held -> Pruner.prune(ctx, maxUnused, listener, held));
      ctx.event(DrEvent.Severity.INFO, "prune.succeeded", "prune freed " + r.bytesFreed() + " bytes",
          "packsDeleted", r.packsDeleted(), "packsRepacked", r.packsRepacked(), "bytesFreed", r.bytesFreed());
      return r;
    } catch (RuntimeException | Error e) {
      publishFailure("prune.failed", "prune failed: " + e.getMessage(), e);
      throw e;
    }
  }

  /**
   * @return the key slots
   * @throws IllegalStateException when the repository is unencrypted
   * @throws IntegrityException naming a damaged key slot
   */
  public List<KeySlot> keys() {
    return keys(e -> {
      throw e;
    });
  }

  /**
   * Lists the key slots that can be read, handing each damaged one (its message names the file)
   * to {@code damaged} instead of failing, so that one damaged slot does not hide the others.
   *
   * @param damaged told of each damaged key slot
   * @return the intact key slots
   * @throws IllegalStateException when the repository is not encrypted
   */
  public List<KeySlot> keys(java.util.function.Consumer<? super IntegrityException> damaged) {
    Objects.requireNonNull(damaged, "damaged");
    requireEncrypted();
    List<KeySlot> out = new ArrayList<>();
    for (BlobInfo info : ctx.store().list("keys/")) {
      KeySlots.Slot s;
      try {
        s = KeySlots.read(ctx.store().get(info.key()), info.key());
      } catch (IntegrityException e) {
        damaged.accept(e);
        continue;
      }
      Instant created;
      try {
        created = Instant.parse(s.created());
      } catch (RuntimeException e) {
        created = Instant.EPOCH;
      }
      out.add(new KeySlot(info.key().substring("keys/".length()), created, String.valueOf(s.host()), s.iterations(),
          info.key().equals(slot)));
    }
    return out;
  }

  /**
   * Adds a key slot for another passphrase. No data is re-encrypted. Takes a shared lock (backups
   * may run meanwhile) and writes the slot only while its lease holds.
   *
   * @param passphrase the new passphrase
   * @return the new slot's id
   * @throws LeaseExpiredException when the lease lapsed before the slot was written
   * @throws RepositoryLockedException when a prune, forget or key removal holds the repository
   */
  public String addKey(char[] passphrase) {
    requireEncrypted();
    if (passphrase == null || passphrase.length == 0) {
      throw new ConfigException("passphrase", "must not be empty");
    }
    return locked("key add", false, held -> addKeyLocked(passphrase, held));
  }

  private String addKeyLocked(char[] passphrase, Locks.Held held) {
    byte[] slotBytes = KeySlots.create(ctx.repoId(), Objects.requireNonNull(material, "key material"), passphrase, ctx.options().kdfIterations(),
        ctx.clock().instant(), ctx.options().host());
    String key = "keys/" + Crypto.sha256(slotBytes).hex();
    held.check("key slot not added; run the key change again");
    ctx.store().putIfAbsent(key, slotBytes);
    ctx.event(DrEvent.Severity.INFO, "key.added", "key slot added", "slot", key);
    return key.substring("keys/".length());
  }

  /**
   * Replaces the passphrase this handle was opened with: adds a slot for {@code newPassphrase},
   * then removes the old slot. No data is re-encrypted. Both writes are commit points guarded by
   * the lease: when it lapses in between, the new slot exists and the old one too.
   *
   * @param newPassphrase the new passphrase
   * @return the new slot's id
   * @throws LeaseExpiredException when the lease lapsed before a slot was written or removed
   * @throws RepositoryLockedException when a prune, forget or key removal holds the repository
   */
  public String changePassphrase(char[] newPassphrase) {
    requireEncrypted();
    if (newPassphrase == null || newPassphrase.length == 0) {
      throw new ConfigException("passphrase", "must not be empty");
    }
    return locked("key passwd", false, held -> {
      String added = addKeyLocked(newPassphrase, held);
      if (slot != null) {
        held.check("new key slot " + added + " added but the old slot " + slot + " not removed; remove it with"
            + " key remove");
        ctx.store().delete(slot);
        ctx.event(DrEvent.Severity.INFO, "key.removed", "key slot replaced", "slot", slot);
      }
      return added;
    });
  }

  /**
   * Removes a key slot. Takes the repository alone, so two removals cannot together remove the
   * last two slots.
   *
   * @param slotId the slot's id
   * @throws IllegalArgumentException when it is the last slot or does not exist
   * @throws LeaseExpiredException when the lease lapsed before the slot was removed
   * @throws RepositoryLockedException when another operation holds a lock
   */
  public void removeKey(String slotId) {
    requireEncrypted();
    locked("key remove", true, held -> {
      List<BlobInfo> slots = ctx.store().list("keys/");
      if (slots.stream().noneMatch(i -> i.key().equals("keys/" + slotId))) {
        throw new IllegalArgumentException("no key slot " + slotId);
      }
      if (slots.size() == 1) {
        throw new IllegalArgumentException("refusing to remove the last key slot " + slotId);
      }
      held.check("key slot " + slotId + " not removed; run the key change again");
      ctx.store().delete("keys/" + slotId);
      ctx.event(DrEvent.Severity.INFO, "key.removed", "key slot removed", "slot", slotId);
      return null;
    });
  }

  private void requireEncrypted() {
    if (material == null) {
      throw new IllegalStateException("repository " + ctx.repoId().substring(0, 8) + " is unencrypted: it has no keys");
    }
  }

  /** Releases this handle (stops lock refresh); held locks were already released. */
  @Override
  public void close() {
    refresher.shutdownNow();
  }

  @Override
  public String toString() {
    return "Repository{" + ctx.repoId().substring(0, 8) + " on " + ctx.store() + "}";
  }
}
