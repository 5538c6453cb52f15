package dev.drkit.core.config;

import dev.drkit.core.ConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How and when one service is backed up: the {@link BackupType}, a {@link CronSchedule}, the
 * {@link RetentionPolicy} and the {@link EncryptionConfig}. A service may have several strategies
 * (for example a weekly full and a daily incremental), told apart by {@link #name()}. Immutable;
 * built with {@link #builder()}.
 */
public final class BackupStrategy {
  private final String name;
  private final BackupType type;
  private final CronSchedule schedule;
  private final RetentionPolicy retention;
  private final EncryptionConfig encryption;

  private BackupStrategy(Builder b) {
    this.name = b.name == null ? b.type.configName() : b.name;
    this.type = b.type;
    this.schedule = Objects.requireNonNull(b.schedule, "schedule"); // build() checked it
    this.retention = b.retention;
    this.encryption = Objects.requireNonNull(b.encryption, "encryption"); // build() checked it
  }

  /** @return a builder: type full, retention keep-all, encryption required (no default key source) */
  public static Builder builder() {
    return new Builder();
  }

  /** @return the strategy's name, unique per service; defaults to the type's name */
  public String name() {
    return name;
  }

  /** @return what each run re-reads */
  public BackupType type() {
    return type;
  }

  /** @return when it runs */
  public CronSchedule schedule() {
    return schedule;
  }

  /** @return which snapshots are kept */
  public RetentionPolicy retention() {
    return retention;
  }

  /** @return how the repository is encrypted */
  public EncryptionConfig encryption() {
    return encryption;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BackupStrategy s && name.equals(s.name) && type == s.type && schedule.equals(s.schedule)
        && retention.equals(s.retention) && encryption.equals(s.encryption);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, type, schedule, retention, encryption);
  }

  @Override
  public String toString() {
    return "BackupStrategy{" + name + ", " + type.configName() + ", " + schedule + ", " + retention + ", "
        + encryption.algorithm().configName() + "}";
  }

  /** Builds a {@link BackupStrategy}; not thread-safe. */
  public static final class Builder {
    private @Nullable String name;
    private BackupType type = BackupType.FULL;
    private @Nullable CronSchedule schedule;
    private RetentionPolicy retention = RetentionPolicy.keepAll();
    private @Nullable EncryptionConfig encryption;

    private Builder() {}

    /** @param name the strategy's name (validated in build) @return this builder */
    public Builder name(@Nullable String name) {
      this.name = name;
      return this;
    }

    /** @param type what each run re-reads @return this builder */
    public Builder type(BackupType type) {
      this.type = Objects.requireNonNull(type, "type");
      return this;
    }

    /** @param schedule when it runs @return this builder */
    public Builder schedule(@Nullable CronSchedule schedule) {
      this.schedule = schedule;
      return this;
    }

    /**
     * @param cron a cron expression (UNIX or Quartz)
     * @return this builder
     * @throws ConfigException naming {@code schedule} when invalid
     */
    public Builder schedule(String cron) {
      this.schedule = CronSchedule.parse(cron);
      return this;
    }

    /** @param retention which snapshots to keep @return this builder */
    public Builder retention(RetentionPolicy retention) {
      this.retention = Objects.requireNonNull(retention, "retention");
      return this;
    }

    /** @param encryption how to encrypt @return this builder */
    public Builder encryption(@Nullable EncryptionConfig encryption) {
      this.encryption = encryption;
      return this;
    }

    /**
     * @return the strategy
     * @throws ConfigException naming a missing {@code schedule} or {@code encryption}, or an
     *     invalid {@code name}
     */
    public BackupStrategy build() {
      List<ConfigException.Problem> problems = new ArrayList<>();
      if (name != null && !Names.isValid(name)) {
        problems.add(ConfigException.Problem.of("name", "'" + name + "' is not a valid strategy name"));
      }
      if (schedule == null) {
        problems.add(ConfigException.Problem.of("schedule", "is required"));
      }
      if (encryption == null) {
        problems.add(ConfigException.Problem.of("encryption",
            "is required (use algorithm 'none' to ask explicitly for an unencrypted repository)"));
      }
      if (!problems.isEmpty()) {
        throw new ConfigException(problems);
      }
      return new BackupStrategy(this);
    }
  }
}
