package dev.drkit.core.config;

import dev.drkit.core.KeySourceException;
import dev.drkit.core.spi.KeySource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Resolves the key references of {@link EncryptionConfig#keySource()} to passphrases, so that a host
 * never writes that code itself:
 * <ul>
 *   <li>{@code env:NAME}: the environment variable {@code NAME} (unset or empty is an error);</li>
 *   <li>{@code file:PATH}: the first line of the file, without its line break (missing, unreadable,
 *       a directory, larger than {@value #MAX_FILE_BYTES} bytes, not UTF-8 or an empty first line is
 *       an error);</li>
 *   <li>{@code host:NAME}: a passphrase the host registered with {@link Builder#host};</li>
 *   <li>any other {@code scheme:name} (and a bare {@code prompt}): the {@link KeySource} registered
 *       for that scheme with {@link Builder#register}, or found through {@link ServiceLoader}
 *       ({@code META-INF/services/dev.drkit.core.spi.KeySource}).</li>
 * </ul>
 * Every failure is a {@link KeySourceException} that names the reference and the reason and never
 * contains the secret (nor the reference itself when it does not look like one, in case it is a
 * pasted key). The returned arrays are fresh: wipe them with {@code Arrays.fill(p, '\0')} when done.
 * Immutable and thread-safe.
 */
public final class KeySources {
  /** The largest key file read, in bytes. */
  public static final int MAX_FILE_BYTES = 64 * 1024;

  private static final Pattern SCHEME = Pattern.compile("[a-z][a-z0-9-]{0,30}");

  private final Function<String, @Nullable String> environment;
  private final Map<String, KeySource> sources;
  private final Map<String, Supplier<char[]>> host;

  private KeySources(Builder b) {
    this.environment = b.environment;
    Map<String, KeySource> all = new LinkedHashMap<>();
    if (b.serviceLoader) {
      for (KeySource s : ServiceLoader.load(KeySource.class, KeySource.class.getClassLoader())) {
        all.putIfAbsent(s.scheme(), s);
      }
    }
    all.putAll(b.sources);
    this.sources = Map.copyOf(all);
    this.host = Map.copyOf(b.host);
  }

  /**
   * @return the sources of this process: {@code env:} from {@link System#getenv(String)},
   *     {@code file:}, and the {@link KeySource}s found through {@link ServiceLoader}
   */
  public static KeySources defaults() {
    return builder().build();
  }

  /** @return a builder starting from {@link #defaults()} */
  public static Builder builder() {
    return new Builder();
  }

  /** @return every scheme this instance resolves, sorted */
  public Set<String> schemes() {
    Set<String> s = new TreeSet<>(sources.keySet());
    s.add("env");
    s.add("file");
    s.add("host");
    return s;
  }

  /**
   * @param config an encryption config
   * @return the passphrase its key source refers to, or an empty array for an unencrypted config
   * @throws KeySourceException when the reference cannot be resolved
   */
  public char[] resolve(EncryptionConfig config) {
    Objects.requireNonNull(config, "config");
    return config.enabled() ? resolve(config.keySource()) : new char[0];
  }

  /**
   * @param reference a key reference such as {@code env:DRKIT_PASSPHRASE}
   * @return the passphrase, a fresh array
   * @throws KeySourceException when the reference cannot be resolved, or is not a reference
   */
  public char[] resolve(String reference) {
    Objects.requireNonNull(reference, "reference");
    int colon = reference.indexOf(':');
    String scheme = colon < 0 ? reference : reference.substring(0, colon);
    String name = colon < 0 ? "" : reference.substring(colon + 1);
    if (!SCHEME.matcher(scheme).matches() || (colon < 0 && !sources.containsKey(scheme) && !scheme.equals("prompt"))) {
      throw new KeySourceException("(not shown)", "not a key reference of the form scheme:name (env:NAME,"
          + " file:PATH, host:NAME, or a registered scheme); the value is not shown in case it is a key");
    }
    char[] p;
    switch (scheme) {
      case "env" -> p = env(reference, name);
      case "file" -> p = file(reference, name);
      case "host" -> p = host(reference, name);
      default -> p = other(reference, scheme, name);
    }
    if (p == null || p.length == 0) {
      throw new KeySourceException(reference, "resolved to an empty passphrase");
    }
    return p;
  }

  private char[] env(String reference, String name) {
    String v = environment.apply(name);
    if (v == null) {
      throw new KeySourceException(reference, "the environment variable " + name + " is not set");
    }
    if (v.isEmpty()) {
      throw new KeySourceException(reference, "the environment variable " + name + " is empty");
    }
    return v.toCharArray();
  }

  private static char[] file(String reference, String name) {
    Path path;
    try {
      path = Path.of(name);
    } catch (InvalidPathException e) {
      throw new KeySourceException(reference, "'" + name + "' is not a valid path: " + e.getReason());
    }
    if (Files.isDirectory(path)) {
      throw new KeySourceException(reference, "the file " + path + " is a directory");
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(path)) {
      bytes = in.readNBytes(MAX_FILE_BYTES + 1);
    } catch (NoSuchFileException e) {
      throw new KeySourceException(reference, "the file " + path.toAbsolutePath() + " does not exist");
    } catch (AccessDeniedException e) {
      throw new KeySourceException(reference, "the file " + path.toAbsolutePath() + " is not readable (permission denied)");
    } catch (IOException e) {
      throw new KeySourceException(reference, "the file " + path.toAbsolutePath() + " cannot be read: "
          + e.getClass().getSimpleName(), e);
    }
    try {
      if (bytes.length > MAX_FILE_BYTES) {
        throw new KeySourceException(reference, "the file " + path.toAbsolutePath() + " is larger than "
            + MAX_FILE_BYTES + " bytes; a key file holds the passphrase on its first line");
      }
      int end = 0;
      while (end < bytes.length && bytes[end] != '\n') {
        end++;
      }
      int len = end > 0 && bytes[end - 1] == '\r' ? end - 1 : end;
      CharBuffer chars;
      try {
        chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, 0, len));
      } catch (CharacterCodingException e) {
        throw new KeySourceException(reference, "the first line of " + path.toAbsolutePath() + " is not UTF-8");
      }
      char[] out = new char[chars.remaining()];
      chars.get(out);
      Arrays.fill(chars.array(), '\0');
      if (out.length == 0) {
        throw new KeySourceException(reference, "the first line of " + path.toAbsolutePath() + " is empty");
      }
      return out;
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  private char[] host(String reference, String name) {
    Supplier<char[]> s = host.get(name);
    if (s == null) {
      throw new KeySourceException(reference, "the host registered no passphrase under '" + name
          + "' (KeySources.Builder.host)" + (host.isEmpty() ? "" : "; registered: " + String.join(", ", new TreeSet<>(host.keySet()))));
    }
    char[] p = s.get();
    return p == null ? new char[0] : p.clone();
  }

  private char[] other(String reference, String scheme, String name) {
    KeySource source = sources.get(scheme);
    if (source == null) {
      String hint = scheme.equals("prompt")
          ? "'prompt' asks on a terminal, which a library cannot do; use env: or file:, or register a KeySource"
              + " for the scheme 'prompt'"
          : "unknown scheme '" + scheme + "'; known: " + String.join(", ", schemes())
              + " (register a KeySource for it, or list it in META-INF/services/dev.drkit.core.spi.KeySource)";
      throw new KeySourceException(reference, hint);
    }
    try {
      return source.passphrase(name);
    } catch (KeySourceException e) {
      throw e;
    } catch (RuntimeException e) {
      // the source's own message could hold anything: only its type is reported
      throw new KeySourceException(reference, "the key source for '" + scheme + "' failed with "
          + e.getClass().getName());
    }
  }

  @Override
  public String toString() {
    return "KeySources" + schemes();
  }

  /** Builds {@link KeySources}; not thread-safe. */
  public static final class Builder {
    private Function<String, @Nullable String> environment = System::getenv;
    private final Map<String, KeySource> sources = new LinkedHashMap<>();
    private final Map<String, Supplier<char[]>> host = new LinkedHashMap<>();
    private boolean serviceLoader = true;

    private Builder() {}

    /**
     * Adds (or replaces) the source of a scheme; a registered source wins over one found through
     * {@link ServiceLoader}.
     *
     * @param source the key source to use for its {@link dev.drkit.core.spi.KeySource#scheme() scheme}
     * @return this builder
     * @throws IllegalArgumentException when its scheme is not lower-case letters, digits and
     *     {@code -}, or is one drkit resolves itself ({@code env}, {@code file}, {@code host})
     */
    public Builder register(KeySource source) {
      Objects.requireNonNull(source, "source");
      String scheme = Objects.requireNonNull(source.scheme(), "scheme").toLowerCase(Locale.ROOT);
      if (!SCHEME.matcher(scheme).matches()) {
        throw new IllegalArgumentException("'" + scheme + "' is not a valid key source scheme (a-z, 0-9, '-')");
      }
      if (scheme.equals("env") || scheme.equals("file") || scheme.equals("host")) {
        throw new IllegalArgumentException("the scheme '" + scheme + "' is resolved by drkit itself");
      }
      sources.put(scheme, source);
      return this;
    }

    /**
     * Registers a passphrase for {@code host:NAME} references, copied now (wipe yours afterwards).
     *
     * @param name the name after {@code host:}
     * @param passphrase the passphrase {@code host:NAME} resolves to
     * @return this builder
     */
    public Builder host(String name, char[] passphrase) {
      char[] copy = Objects.requireNonNull(passphrase, "passphrase").clone();
      return host(name, () -> copy);
    }

    /**
     * Registers a supplier for {@code host:NAME} references, asked at every resolution (for a
     * passphrase that rotates).
     *
     * @param name the name after {@code host:}
     * @param passphrase supplies it; the result is copied
     * @return this builder
     */
    public Builder host(String name, Supplier<char[]> passphrase) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(passphrase, "passphrase");
      if (!Names.isValid(name)) {
        throw new IllegalArgumentException("'" + name + "' is not a valid host key name (letters, digits, '.', '_', '-')");
      }
      host.put(name, passphrase);
      return this;
    }

    /**
     * @param environment reads {@code env:} variables (by default {@link System#getenv(String)}; a
     *     map's {@code get} in tests)
     * @return this builder
     */
    public Builder environment(Function<String, @Nullable String> environment) {
      this.environment = Objects.requireNonNull(environment, "environment");
      return this;
    }

    /**
     * @param enabled whether to add the {@link KeySource}s found through {@link ServiceLoader}
     *     (default true)
     * @return this builder
     */
    public Builder serviceLoader(boolean enabled) {
      this.serviceLoader = enabled;
      return this;
    }

    /** @return the key sources */
    public KeySources build() {
      return new KeySources(this);
    }
  }
}
