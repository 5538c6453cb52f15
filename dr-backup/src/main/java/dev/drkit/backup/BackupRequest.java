package dev.drkit.backup;

import dev.drkit.core.config.BackupType;
import dev.drkit.backup.spi.BackupSource;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * One backup to run: the source, the {@link BackupType}, tags, an optional snapshot time (defaults
 * to the repository clock's now), a progress listener and {@link Excludes}. Immutable; {@link #of(BackupSource)} or
 * {@link #builder(BackupSource)}.
 */
public final class BackupRequest {
  private final BackupSource source;
  private final BackupType type;
  private final Set<String> tags;
  private final @Nullable Instant time;
  private final ProgressListener listener;
  private final Excludes excludes;

  private BackupRequest(Builder b) {
    this.excludes = b.excludes;
    this.source = b.source;
    this.type = b.type;
    this.tags = Set.copyOf(b.tags);
    this.time = b.time;
    this.listener = b.listener;
  }

  /** @param source the source @return a full backup of it without tags */
  public static BackupRequest of(BackupSource source) {
    return builder(source).build();
  }

  /** @param source the source @return a builder */
  public static Builder builder(BackupSource source) {
    return new Builder(source);
  }

  /** @return the source */
  public BackupSource source() {
    return source;
  }

  /** @return the type */
  public BackupType type() {
    return type;
  }

  /** @return the tags */
  public Set<String> tags() {
    return tags;
  }

  /** @return the snapshot time, or null for now */
  public @Nullable Instant time() {
    return time;
  }

  /** @return the progress listener */
  public ProgressListener listener() {
    return listener;
  }

  /** @return what the backup leaves out ({@link Excludes#NONE} unless set) */
  public Excludes excludes() {
    return excludes;
  }

  /** Builds a {@link BackupRequest}; not thread-safe. */
  public static final class Builder {
    private final BackupSource source;
    private BackupType type = BackupType.FULL;
    private final Set<String> tags = new TreeSet<>();
    private @Nullable Instant time;
    private ProgressListener listener = ProgressListener.NONE;
    private Excludes excludes = Excludes.NONE;

    private Builder(BackupSource source) {
      this.source = Objects.requireNonNull(source, "source");
    }

    /** @param type what to re-read @return this builder */
    public Builder type(BackupType type) {
      this.type = Objects.requireNonNull(type, "type");
      return this;
    }

    /**
     * @param tag a tag (non-blank, no commas)
     * @return this builder
     * @throws IllegalArgumentException when blank or containing a comma
     */
    public Builder tag(String tag) {
      Objects.requireNonNull(tag, "tag");
      if (tag.isBlank() || tag.contains(",")) {
        throw new IllegalArgumentException("tag must be non-blank without commas: '" + tag + "'");
      }
      tags.add(tag);
      return this;
    }

    /** @param time the snapshot's time (instead of now) @return this builder */
    public Builder time(Instant time) {
      this.time = Objects.requireNonNull(time, "time");
      return this;
    }

    /** @param listener progress listener @return this builder */
    public Builder listener(ProgressListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * @param excludes what to leave out: patterns, marker files, caches, other file systems (the
     *     file-system options need a source with a file system, such as {@link FileTreeSource})
     * @return this builder
     */
    public Builder excludes(Excludes excludes) {
      this.excludes = Objects.requireNonNull(excludes, "excludes");
      return this;
    }

    /** @return the request */
    public BackupRequest build() {
      return new BackupRequest(this);
    }
  }
}
