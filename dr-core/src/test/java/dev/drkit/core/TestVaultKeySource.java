package dev.drkit.core;

import dev.drkit.core.spi.KeySource;

/** A {@link KeySource} found through ServiceLoader in the tests: {@code test-vault:NAME} is NAME reversed. */
public final class TestVaultKeySource implements KeySource {
  /** Called by ServiceLoader. */
  public TestVaultKeySource() {}

  @Override
  public String scheme() {
    return "test-vault";
  }

  @Override
  public char[] passphrase(String name) {
    if (name.equals("missing")) {
      throw new KeySourceException("test-vault:" + name, "no such secret in the vault");
    }
    return new StringBuilder(name).reverse().toString().toCharArray();
  }
}
