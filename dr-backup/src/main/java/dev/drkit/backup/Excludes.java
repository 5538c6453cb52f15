package dev.drkit.backup;

import dev.drkit.backup.internal.Glob;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a backup leaves out, restic's way: exclude patterns ({@code --exclude}, {@code --exclude-file}),
 * directories holding a marker file ({@code --exclude-if-present}), cache directories tagged with a
 * valid {@code CACHEDIR.TAG} ({@code --exclude-caches}) and other file systems
 * ({@code --one-file-system}). Immutable; {@link #builder()}. The pattern syntax is in
 * {@code docs/backup.md}: {@code *}, {@code **}, {@code ?}, {@code [...]}, {@code \} escapes,
 * anchored {@code /} patterns and {@code !} negation; a pattern is matched against the entry's
 * absolute path (for a {@link FileTreeSource}) and the last matching pattern decides.
 *
 * <p>An excluded entry is not in the snapshot and is not reported as skipped: leaving it out is
 * what was asked for.
 */
public final class Excludes {
  /** The signature a {@code CACHEDIR.TAG} starts with (https://bford.info/cachedir/). */
  public static final String CACHEDIR_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55";
  /** The name of the cache directory tag file. */
  public static final String CACHEDIR_TAG = "CACHEDIR.TAG";
  /** Nothing excluded. */
  public static final Excludes NONE = builder().build();

  private final List<String> patterns;
  private final List<Glob> globs;
  private final List<Boolean> negated;
  private final Set<String> ifPresent;
  private final boolean caches;
  private final boolean oneFileSystem;

  private Excludes(Builder b) {
    this.patterns = List.copyOf(b.patterns);
    this.globs = List.copyOf(b.globs);
    this.negated = List.copyOf(b.negated);
    this.ifPresent = Set.copyOf(b.ifPresent);
    this.caches = b.caches;
    this.oneFileSystem = b.oneFileSystem;
  }

  /** @return a builder of nothing excluded */
  public static Builder builder() {
    return new Builder();
  }

  /** @return the patterns in order, negated ones with their leading {@code !} */
  public List<String> patterns() {
    return patterns;
  }

  /** @return the marker file names: a directory holding one has its contents left out */
  public Set<String> ifPresent() {
    return ifPresent;
  }

  /** @return whether directories with a valid {@code CACHEDIR.TAG} have their contents left out */
  public boolean excludeCaches() {
    return caches;
  }

  /** @return whether directories on another file system than their backup root are left empty */
  public boolean oneFileSystem() {
    return oneFileSystem;
  }

  /** @return whether the options need a file system ({@link #ifPresent}, caches, one file system) */
  public boolean needsFileSystem() {
    return !ifPresent.isEmpty() || caches || oneFileSystem;
  }

  /**
   * @param absolutePath the entry's absolute path bytes ({@code /} separated)
   * @return whether the patterns exclude it: the last pattern that matches it (or one of its parent
   *     directories) decides, a negated one including it again
   */
  public boolean excludes(byte[] absolutePath) {
    Objects.requireNonNull(absolutePath, "absolutePath");
    for (int i = globs.size() - 1; i >= 0; i--) {
      if (globs.get(i).matches(absolutePath)) {
        return !negated.get(i);
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "Excludes{patterns=" + patterns + ", ifPresent=" + ifPresent + ", caches=" + caches + ", oneFileSystem="
        + oneFileSystem + "}";
  }

  /** Builds {@link Excludes}; not thread-safe. */
  public static final class Builder {
    private final List<String> patterns = new ArrayList<>();
    private final List<Glob> globs = new ArrayList<>();
    private final List<Boolean> negated = new ArrayList<>();
    private final Set<String> ifPresent = new TreeSet<>();
    private boolean caches;
    private boolean oneFileSystem;

    private Builder() {}

    /**
     * @param pattern a pattern ({@code !pattern} includes again what an earlier one excluded)
     * @return this builder
     * @throws IllegalArgumentException when empty or malformed (an unclosed {@code [})
     */
    public Builder pattern(String pattern) {
      Objects.requireNonNull(pattern, "pattern");
      boolean neg = pattern.startsWith("!");
      globs.add(new Glob(neg ? pattern.substring(1) : pattern));
      negated.add(neg);
      patterns.add(pattern);
      return this;
    }

    /**
     * Adds the patterns of a file, one a line; blank lines and lines starting with {@code #} are
     * ignored, leading and trailing white space is removed.
     *
     * @param file the file (UTF-8)
     * @return this builder
     * @throws IOException when it cannot be read
     * @throws IllegalArgumentException naming the file and line of a malformed pattern
     */
    public Builder patternFile(Path file) throws IOException {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).strip();
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        try {
          pattern(line);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(file + ":" + (i + 1) + ": " + e.getMessage(), e);
        }
      }
      return this;
    }

    /**
     * @param name a file name: a directory holding a file of that name is stored with that file
     *     only, its other contents left out
     * @return this builder
     * @throws IllegalArgumentException when blank or holding a {@code /}
     */
    public Builder ifPresent(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank() || name.contains("/") || name.equals(".") || name.equals("..")) {
        throw new IllegalArgumentException("--exclude-if-present needs a file name, not '" + name + "'");
      }
      ifPresent.add(name);
      return this;
    }

    /**
     * @param exclude whether a directory holding a {@code CACHEDIR.TAG} that starts with
     *     {@link #CACHEDIR_SIGNATURE} is stored with that file only
     * @return this builder
     */
    public Builder excludeCaches(boolean exclude) {
      this.caches = exclude;
      return this;
    }

    /**
     * @param one whether directories on another file system than their backup root (mount points)
     *     are stored empty
     * @return this builder
     */
    public Builder oneFileSystem(boolean one) {
      this.oneFileSystem = one;
      return this;
    }

    /** @return the excludes */
    public Excludes build() {
      return new Excludes(this);
    }
  }
}
