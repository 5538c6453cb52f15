package dev.drkit.replication;

import dev.drkit.core.EventBus;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;

/**
 * Immutable settings of a {@link ReplicationLog}. Build with {@link #builder(String)}.
 *
 * @param name the log's name in messages and events (usually the service name)
 * @param segmentBytes the size at which a segment is closed and a new one started
 * @param durability when appends are forced to stable storage
 * @param retentionBytes closed segments are deleted, oldest first, while the log is larger
 * @param retentionAge closed segments whose newest record is older are deleted; {@code null} for none
 * @param deleteAcknowledged whether closed segments every registered replica acknowledged are deleted
 * @param channelFactory opens segment files
 * @param clock the time source for record timestamps and retention
 * @param events where notable events go
 * @param truncateOnCorruption whether damage followed by valid records in the newest segment is
 *     moved to a quarantine file and cut off at open (otherwise open refuses with an
 *     {@link dev.drkit.core.IntegrityException} and changes nothing)
 * @param scheduler runs the forces of {@link Durability.Kind#INTERVAL}; {@code null} to let the log
 *     start its own daemon thread
 * @param preallocateBytes how far ahead of the writer the active segment is zero-filled (by a
 *     background thread, never beyond {@code segmentBytes}), so that forces overwrite allocated
 *     blocks and flush data only, without a file-size change and its journal commit; the same
 *     thread trims closed segments and applies retention after a roll. {@code 0} (the default)
 *     turns this off: the writer grows the file and retention runs in the appending thread
 */
public record LogConfig(String name, long segmentBytes, Durability durability, long retentionBytes,
    @Nullable Duration retentionAge, boolean deleteAcknowledged, LogChannelFactory channelFactory, Clock clock,
    EventBus events, boolean truncateOnCorruption, @Nullable ScheduledExecutorService scheduler,
    long preallocateBytes) {

  /** Validates. */
  public LogConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(durability, "durability");
    Objects.requireNonNull(channelFactory, "channelFactory");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(events, "events");
    if (segmentBytes < 1024) {
      throw new IllegalArgumentException("log.segmentBytes must be >= 1024, was " + segmentBytes);
    }
    if (retentionBytes <= 0) {
      throw new IllegalArgumentException("log.retentionBytes must be positive, was " + retentionBytes);
    }
    if (retentionAge != null && (retentionAge.isNegative() || retentionAge.isZero())) {
      throw new IllegalArgumentException("log.retentionAge must be positive, was " + retentionAge);
    }
    if (preallocateBytes != 0 && preallocateBytes < 4096) {
      throw new IllegalArgumentException("log.preallocateBytes must be 0 (off) or >= 4096, was " + preallocateBytes);
    }
  }

  /**
   * @param name the log's name (usually the service)
   * @return a builder with defaults: 64 MiB segments, group commit, unbounded retention, the
   *     system UTC clock, a fresh event bus
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** Builds a {@link LogConfig}. */
  public static final class Builder {
    private final String name;
    private long segmentBytes = 64L << 20;
    private Durability durability = Durability.groupCommit();
    private long retentionBytes = Long.MAX_VALUE;
    private @Nullable Duration retentionAge;
    private boolean deleteAcknowledged;
    private LogChannelFactory channelFactory = LogChannelFactory.standard();
    private Clock clock = Clock.systemUTC();
    private EventBus events = new EventBus();
    private boolean truncateOnCorruption;
    private @Nullable ScheduledExecutorService scheduler;
    private long preallocateBytes;

    private Builder(String name) {
      this.name = Objects.requireNonNull(name, "name");
    }

    /** @param v segment size in bytes (at least 1024) @return this */
    public Builder segmentBytes(long v) {
      this.segmentBytes = v;
      return this;
    }

    /** @param v the durability policy @return this */
    public Builder durability(Durability v) {
      this.durability = Objects.requireNonNull(v, "durability");
      return this;
    }

    /** @param v the maximum total size before old closed segments are deleted @return this */
    public Builder retentionBytes(long v) {
      this.retentionBytes = v;
      return this;
    }

    /** @param v the maximum age of a closed segment's newest record, or null for none @return this */
    public Builder retentionAge(@Nullable Duration v) {
      this.retentionAge = v;
      return this;
    }

    /** @param v whether segments all replicas acknowledged are deleted @return this */
    public Builder deleteAcknowledged(boolean v) {
      this.deleteAcknowledged = v;
      return this;
    }

    /** @param v the channel factory @return this */
    public Builder channelFactory(LogChannelFactory v) {
      this.channelFactory = Objects.requireNonNull(v, "channelFactory");
      return this;
    }

    /** @param v the clock @return this */
    public Builder clock(Clock v) {
      this.clock = Objects.requireNonNull(v, "clock");
      return this;
    }

    /**
     * @param v the shared bus that receives the log's events; pass the application's one bus (the
     *     default is a bus of this builder's own, whose events nobody sees)
     * @return this builder
     */
    public Builder eventBus(EventBus v) {
      this.events = Objects.requireNonNull(v, "events");
      return this;
    }

    /** @param v whether mid-segment damage is quarantined and cut off at open @return this */
    public Builder truncateOnCorruption(boolean v) {
      this.truncateOnCorruption = v;
      return this;
    }

    /** @param v the scheduler for interval forces, or null for an own thread @return this */
    public Builder scheduler(@Nullable ScheduledExecutorService v) {
      this.scheduler = v;
      return this;
    }

    /**
     * @param v how many bytes ahead of the writer to keep zero-filled (0 = off, else at least
     *     4096; 4 MiB is a good value for a busy log)
     * @return this
     */
    public Builder preallocateBytes(long v) {
      this.preallocateBytes = v;
      return this;
    }

    /**
     * @return the config
     * @throws IllegalArgumentException naming the field when a value is out of range
     */
    public LogConfig build() {
      return new LogConfig(name, segmentBytes, durability, retentionBytes, retentionAge, deleteAcknowledged,
          channelFactory, clock, events, truncateOnCorruption, scheduler, preallocateBytes);
    }
  }
}
