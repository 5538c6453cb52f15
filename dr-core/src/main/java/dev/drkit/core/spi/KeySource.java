package dev.drkit.core.spi;

/**
 * Supplies passphrases for one scheme of key references ({@code vault:orders/backup},
 * {@code kms:alias/drkit}): the part of an {@link dev.drkit.core.config.EncryptionConfig#keySource()}
 * before the first colon selects the source, the rest is the name it resolves. drkit resolves
 * {@code env:} and {@code file:} itself; a host adds schemes by registering a source with
 * {@link dev.drkit.core.config.KeySources.Builder#register(KeySource)} or by listing its class in
 * {@code META-INF/services/dev.drkit.core.spi.KeySource} (it then needs a public no-argument
 * constructor).
 *
 * <p>Contract: thread-safe; returns a fresh array the caller may wipe; never includes the secret in
 * an exception message, a log line or {@code toString()}.
 */
public interface KeySource {
  /** @return the scheme this source resolves, lower case, without the colon ({@code vault}) */
  String scheme();

  /**
   * @param name the reference without its scheme ({@code orders/backup} for
   *     {@code vault:orders/backup}; empty for a bare {@code prompt})
   * @return the passphrase, a fresh array
   * @throws dev.drkit.core.KeySourceException when the name cannot be resolved (the message names
   *     the reference and why, never the secret)
   */
  char[] passphrase(String name);
}
