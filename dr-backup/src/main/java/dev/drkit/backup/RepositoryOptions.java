package dev.drkit.backup;

import dev.drkit.core.ConfigException;
import dev.drkit.core.EventBus;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link Repository} handle behaves: clock, event bus, host name, parallelism, compression
 * level, pack size, lock lease; and, for {@link Repository#init}, the chunker sizes and the KDF
 * cost. Immutable; {@link #defaults()} or {@link #builder()}.
 */
public final class RepositoryOptions {
  private final Clock clock;
  private final EventBus events;
  private final String host;
  private final int parallelism;
  private final int compressionLevel;
  private final int packSize;
  private final Duration lockLease;
  private final int chunkMin;
  private final int chunkAvg;
  private final int chunkMax;
  private final int kdfIterations;
  private final long heapLimit;

  private RepositoryOptions(Builder b) {
    this.clock = b.clock;
    this.events = b.events;
    this.host = b.host;
    this.parallelism = b.parallelism;
    this.compressionLevel = b.compressionLevel;
    this.packSize = b.packSize;
    this.lockLease = b.lockLease;
    this.chunkMin = b.chunkMin;
    this.chunkAvg = b.chunkAvg;
    this.chunkMax = b.chunkMax;
    this.kdfIterations = b.kdfIterations;
    this.heapLimit = b.heapLimit;
  }

  /** @return the defaults: system clock, a new bus, this host, all cores, zstd 3, 16 MiB packs */
  public static RepositoryOptions defaults() {
    return builder().build();
  }

  /** @return a builder with the defaults */
  public static Builder builder() {
    return new Builder();
  }

  /** @return the clock of snapshot times, lock leases and progress */
  public Clock clock() {
    return clock;
  }

  /** @return where events go */
  public EventBus events() {
    return events;
  }

  /** @return the host name recorded in snapshots and locks */
  public String host() {
    return host;
  }

  /** @return worker threads of backup, restore and verify */
  public int parallelism() {
    return parallelism;
  }

  /** @return the zstd level */
  public int compressionLevel() {
    return compressionLevel;
  }

  /** @return the target pack size in bytes */
  public int packSize() {
    return packSize;
  }

  /** @return how long a lock lives without refresh */
  public Duration lockLease() {
    return lockLease;
  }

  /** @return minimum chunk size (init only) */
  public int chunkMin() {
    return chunkMin;
  }

  /** @return average chunk size (init only) */
  public int chunkAvg() {
    return chunkAvg;
  }

  /** @return maximum chunk size (init only) */
  public int chunkMax() {
    return chunkMax;
  }

  /** @return PBKDF2 iterations of new key slots */
  public int kdfIterations() {
    return kdfIterations;
  }

  /**
   * @return the heap a backup or restore may count on, in bytes: {@link Builder#heapLimit(long)},
   *     or by default the JVM's limit ({@link Runtime#maxMemory()}, {@code -Xmx}). A backup or
   *     restore whose need ({@link Repository#backupMemory()}, {@link Repository#restoreMemory()})
   *     exceeds it is refused with an {@link InsufficientHeapException} before it starts.
   */
  public long heapLimit() {
    return heapLimit > 0 ? heapLimit : Runtime.getRuntime().maxMemory();
  }

  /** Builds {@link RepositoryOptions}; not thread-safe. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private EventBus events = new EventBus();
    private String host = localHost();
    private int parallelism = Runtime.getRuntime().availableProcessors();
    private int compressionLevel = 3;
    private int packSize = 16 << 20;
    private Duration lockLease = Duration.ofMinutes(5);
    private int chunkMin = 512 << 10;
    private int chunkAvg = 1 << 20;
    private int chunkMax = 8 << 20;
    private int kdfIterations = 600_000;
    private long heapLimit;

    private Builder() {}

    private static String localHost() {
      String env = System.getenv("HOSTNAME");
      if (env != null && !env.isBlank()) {
        return env;
      }
      try {
        return InetAddress.getLocalHost().getHostName();
      } catch (UnknownHostException e) {
        return "localhost";
      }
    }

    /** @param clock the clock @return this builder */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * @param events the shared bus that receives the repository's events (backup, prune, lock); pass the application's one bus (the
     *     default is a bus of this builder's own, whose events nobody sees)
     * @return this builder
     */
    public Builder eventBus(EventBus events) {
      this.events = Objects.requireNonNull(events, "events");
      return this;
    }

    /** @param host the host name @return this builder */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** @param n worker threads, 1-256 (checked in build) @return this builder */
    public Builder parallelism(int n) {
      this.parallelism = n;
      return this;
    }

    /** @param level zstd level 1-19 (checked in build) @return this builder */
    public Builder compressionLevel(int level) {
      this.compressionLevel = level;
      return this;
    }

    /** @param bytes target pack size, 1 MiB - 256 MiB (checked in build) @return this builder */
    public Builder packSize(int bytes) {
      this.packSize = bytes;
      return this;
    }

    /**
     * @param lease lock lease, at least 2 s (checked in build): how long a lock outlives its last
     *     refresh; an operation that cannot refresh for longer (paused, suspended, starved) stops
     *     before its next commit point
     * @return this builder
     */
    public Builder lockLease(Duration lease) {
      this.lockLease = Objects.requireNonNull(lease, "lockLease");
      return this;
    }

    /**
     * @param min minimum chunk size
     * @param avg average chunk size, a power of two
     * @param max maximum chunk size (at most 64 MiB)
     * @return this builder
     */
    public Builder chunkSizes(int min, int avg, int max) {
      this.chunkMin = min;
      this.chunkAvg = avg;
      this.chunkMax = max;
      return this;
    }

    /** @param n PBKDF2 iterations, at least 600,000 (checked in build) @return this builder */
    public Builder kdfIterations(int n) {
      this.kdfIterations = n;
      return this;
    }

    /**
     * @param bytes the part of the heap backups and restores of this handle may count on (a host
     *     that needs the rest of its heap for its own work sets it lower than {@code -Xmx}); 0 for
     *     the JVM's limit, the default; at least 1 MiB otherwise (checked in build)
     * @return this builder
     */
    public Builder heapLimit(long bytes) {
      this.heapLimit = bytes;
      return this;
    }

    /**
     * @return the options
     * @throws ConfigException naming the first invalid field
     */
    public RepositoryOptions build() {
      if (parallelism < 1 || parallelism > 256) {
        throw new ConfigException("parallelism", "must be 1-256 but was " + parallelism);
      }
      if (compressionLevel < 1 || compressionLevel > 19) {
        throw new ConfigException("compression-level", "must be 1-19 but was " + compressionLevel);
      }
      if (packSize < (1 << 20) || packSize > (256 << 20)) {
        throw new ConfigException("pack-size", "must be 1 MiB - 256 MiB but was " + packSize);
      }
      if (lockLease.compareTo(Duration.ofSeconds(2)) < 0) {
        throw new ConfigException("lock-lease", "must be at least 2s but was " + lockLease);
      }
      if (chunkMin < 64 || chunkMin >= chunkAvg || chunkAvg >= chunkMax || chunkMax > (64 << 20)
          || Integer.bitCount(chunkAvg) != 1) {
        throw new ConfigException("chunk-sizes", "need 64 <= min < avg < max <= 64 MiB with avg a power of two, but were "
            + chunkMin + "/" + chunkAvg + "/" + chunkMax);
      }
      if (kdfIterations < 600_000) {
        throw new ConfigException("kdf-iterations", "must be at least 600000 but was " + kdfIterations);
      }
      if (heapLimit != 0 && heapLimit < (1 << 20)) {
        throw new ConfigException("heap-limit", "must be 0 (the JVM's limit) or at least 1 MiB but was " + heapLimit);
      }
      return new RepositoryOptions(this);
    }
  }
}
