package dev.drkit.core.config;

import dev.drkit.core.ConfigException;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How a backup repository is encrypted: the AEAD algorithm and where the passphrase comes from.
 * A config never holds the key itself, only a reference to it:
 * <ul>
 *   <li>{@code env:NAME} - the environment variable {@code NAME};</li>
 *   <li>{@code file:PATH} - the first line of a file;</li>
 *   <li>{@code prompt} - asked on the terminal;</li>
 *   <li>{@code host:NAME} - supplied by the host application under {@code NAME};</li>
 *   <li>{@code scheme:NAME} - resolved by a host's {@link dev.drkit.core.spi.KeySource} for that scheme.</li>
 * </ul>
 * {@link KeySources} resolves a reference to the passphrase.
 * An unencrypted repository must be asked for explicitly with {@link Algorithm#NONE}.
 *
 * @param algorithm the cipher
 * @param keySource the reference to the passphrase; ignored (may be empty) for {@code NONE}
 */
public record EncryptionConfig(Algorithm algorithm, String keySource) {
  private static final Pattern KEY_SOURCE =
      Pattern.compile("(env:[A-Za-z_][A-Za-z0-9_]*|file:.+|prompt|host:[A-Za-z0-9._-]+"
          + "|(?!(?:env|file|host):)[a-z][a-z0-9-]{0,30}:\\S.*)");

  /** Authenticated ciphers drkit supports. */
  public enum Algorithm {
    /** AES-256 in Galois/Counter mode with 96-bit random nonces (the default). */
    AES_256_GCM,
    /** ChaCha20-Poly1305 with 96-bit random nonces. */
    CHACHA20_POLY1305,
    /** No encryption: only when asked for explicitly. */
    NONE;

    /** @return the name used in plan files, e.g. {@code aes-256-gcm} */
    public String configName() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * @param value {@code aes-256-gcm}, {@code chacha20-poly1305} or {@code none}
     * @return the algorithm
     * @throws ConfigException naming field {@code algorithm} for any other value
     */
    public static Algorithm parse(String value) {
      for (Algorithm a : values()) {
        if (value != null && a.configName().equalsIgnoreCase(value.trim())) {
          return a;
        }
      }
      throw new ConfigException("algorithm",
          "must be one of aes-256-gcm, chacha20-poly1305, none but was '" + value + "'");
    }
  }

  /**
   * Validates.
   *
   * @throws ConfigException naming {@code keySource} when it is not a reference of a known form
   *     (in particular when it looks like a literal key), or {@code algorithm} when null
   */
  public EncryptionConfig {
    if (algorithm == null) {
      throw new ConfigException("algorithm", "is required");
    }
    if (algorithm == Algorithm.NONE) {
      keySource = keySource == null ? "" : keySource;
    } else {
      Objects.requireNonNull(keySource, "keySource");
      if (!KEY_SOURCE.matcher(keySource).matches()) {
        throw new ConfigException("key-source", "must be a reference (env:NAME, file:PATH, prompt, host:NAME or scheme:NAME),"
            + " never the key itself");
      }
    }
  }

  /**
   * @param keySource the passphrase reference
   * @return AES-256-GCM with that passphrase
   */
  public static EncryptionConfig aes256Gcm(String keySource) {
    return new EncryptionConfig(Algorithm.AES_256_GCM, keySource);
  }

  /**
   * @param keySource the passphrase reference
   * @return ChaCha20-Poly1305 with that passphrase (for CPUs without AES instructions)
   */
  public static EncryptionConfig chacha20Poly1305(String keySource) {
    return new EncryptionConfig(Algorithm.CHACHA20_POLY1305, keySource);
  }

  /** @return an explicitly unencrypted configuration */
  public static EncryptionConfig none() {
    return new EncryptionConfig(Algorithm.NONE, "");
  }

  /** @return whether data is encrypted */
  public boolean enabled() {
    return algorithm != Algorithm.NONE;
  }
}
