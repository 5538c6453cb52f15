package dev.drkit.core.config;

import dev.drkit.core.ConfigException;
import dev.drkit.core.KeySourceException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.spi.KeySource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeySourcesTest {
  @TempDir Path tmp;

  private final KeySources keys = KeySources.builder()
      .environment(Map.of("DRKIT_PASSPHRASE", "correct horse", "EMPTY", "")::get).build();

  @Test
  void resolvesAnEnvironmentVariable() {
    assertThat(keys.resolve("env:DRKIT_PASSPHRASE")).containsExactly("correct horse".toCharArray());
    assertThat(keys.resolve(EncryptionConfig.aes256Gcm("env:DRKIT_PASSPHRASE"))).containsExactly("correct horse".toCharArray());
  }

  @Test
  void readsTheRealProcessEnvironmentByDefault() {
    String path = System.getenv("PATH");
    if (path != null && !path.isEmpty()) {
      assertThat(KeySources.defaults().resolve("env:PATH")).containsExactly(path.toCharArray());
    } else {
      assertThatThrownBy(() -> KeySources.defaults().resolve("env:PATH")).isInstanceOf(KeySourceException.class);
    }
  }

  @Test
  void anUnsetOrEmptyVariableIsAClearError() {
    assertThatThrownBy(() -> keys.resolve("env:DRKIT_NOPE"))
        .isInstanceOfSatisfying(KeySourceException.class, e -> assertThat(e.reference()).isEqualTo("env:DRKIT_NOPE"))
        .hasMessage("cannot resolve key source 'env:DRKIT_NOPE': the environment variable DRKIT_NOPE is not set");
    assertThatThrownBy(() -> keys.resolve("env:EMPTY")).hasMessageContaining("the environment variable EMPTY is empty");
  }

  @Test
  void readsTheFirstLineOfAFileWithoutItsLineBreak() throws Exception {
    Path f = tmp.resolve("key");
    Files.writeString(f, "s3cret pass\r\nsecond line\n");
    assertThat(keys.resolve("file:" + f)).containsExactly("s3cret pass".toCharArray());
  }

  @Test
  void fileProblemsAreClearErrorsWithoutTheContent() throws Exception {
    assertThatThrownBy(() -> keys.resolve("file:" + tmp.resolve("absent")))
        .isInstanceOf(KeySourceException.class).hasMessageContaining("does not exist");
    assertThatThrownBy(() -> keys.resolve("file:" + tmp)).hasMessageContaining("is a directory");
    Path empty = Files.writeString(tmp.resolve("empty"), "\nhunter2\n");
    assertThatThrownBy(() -> keys.resolve("file:" + empty))
        .hasMessageContaining("is empty").hasMessageNotContaining("hunter2");
    Path big = Files.write(tmp.resolve("big"), new byte[KeySources.MAX_FILE_BYTES + 1]);
    assertThatThrownBy(() -> keys.resolve("file:" + big)).hasMessageContaining("is larger than");
    Path latin1 = Files.write(tmp.resolve("latin1"), "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1));
    assertThatThrownBy(() -> keys.resolve("file:" + latin1)).hasMessageContaining("is not UTF-8");
  }

  @Test
  void anUnknownSchemeListsTheKnownOnes() {
    assertThatThrownBy(() -> keys.resolve("kms:alias/drkit"))
        .isInstanceOf(KeySourceException.class)
        .hasMessageContaining("unknown scheme 'kms'")
        .hasMessageContaining("known: env, file, host, test-vault");
  }

  @Test
  void somethingThatIsNotAReferenceIsNeverEchoed() {
    assertThatThrownBy(() -> keys.resolve("Hunter2-Passphrase!"))
        .isInstanceOfSatisfying(KeySourceException.class, e -> assertThat(e.reference()).isEqualTo("(not shown)"))
        .hasMessageNotContaining("Hunter2");
    assertThatThrownBy(() -> keys.resolve("hunter2")).hasMessageNotContaining("hunter2");
  }

  @Test
  void promptNeedsARegisteredSource() {
    assertThatThrownBy(() -> keys.resolve("prompt")).hasMessageContaining("asks on a terminal");
    KeySources withPrompt = KeySources.builder().register(new KeySource() {
      @Override
      public String scheme() {
        return "prompt";
      }

      @Override
      public char[] passphrase(String name) {
        return "typed".toCharArray();
      }
    }).build();
    assertThat(withPrompt.resolve("prompt")).containsExactly("typed".toCharArray());
  }

  @Test
  void aKeySourceFoundThroughServiceLoaderResolvesItsScheme() {
    assertThat(KeySources.defaults().resolve("test-vault:abc")).containsExactly("cba".toCharArray());
    assertThatThrownBy(() -> KeySources.defaults().resolve("test-vault:missing"))
        .hasMessage("cannot resolve key source 'test-vault:missing': no such secret in the vault");
    assertThatThrownBy(() -> KeySources.builder().serviceLoader(false).build().resolve("test-vault:abc"))
        .hasMessageContaining("unknown scheme 'test-vault'");
  }

  @Test
  void aFailingSourcesMessageIsNotPassedOnInCaseItHoldsTheSecret() {
    KeySources leaky = KeySources.builder().register(new KeySource() {
      @Override
      public String scheme() {
        return "leaky";
      }

      @Override
      public char[] passphrase(String name) {
        throw new IllegalStateException("the secret is hunter2");
      }
    }).build();
    assertThatThrownBy(() -> leaky.resolve("leaky:x"))
        .isInstanceOf(KeySourceException.class)
        .hasMessageContaining("failed with java.lang.IllegalStateException")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void hostKeysAreCopiedAndNamed() {
    char[] mine = "host secret".toCharArray();
    KeySources k = KeySources.builder().host("main", mine).build();
    java.util.Arrays.fill(mine, '\0');
    char[] first = k.resolve("host:main");
    assertThat(first).containsExactly("host secret".toCharArray());
    java.util.Arrays.fill(first, '\0');
    assertThat(k.resolve("host:main")).containsExactly("host secret".toCharArray());
    assertThatThrownBy(() -> k.resolve("host:other"))
        .hasMessageContaining("the host registered no passphrase under 'other'").hasMessageContaining("registered: main");
  }

  @Test
  void registeringABuiltInSchemeIsRefused() {
    KeySource env = new KeySource() {
      @Override
      public String scheme() {
        return "env";
      }

      @Override
      public char[] passphrase(String name) {
        return new char[] {'x'};
      }
    };
    assertThatThrownBy(() -> KeySources.builder().register(env)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void encryptionConfigAcceptsHostSchemesButStillRefusesALiteralKey() {
    assertThat(EncryptionConfig.aes256Gcm("vault:orders/backup").keySource()).isEqualTo("vault:orders/backup");
    assertThatThrownBy(() -> EncryptionConfig.aes256Gcm("s3cr3t-passphrase")).isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> EncryptionConfig.aes256Gcm("env:1BAD")).isInstanceOf(ConfigException.class);
  }

  @Test
  void anUnencryptedConfigNeedsNoKey() {
    assertThat(keys.resolve(EncryptionConfig.none())).isEmpty();
  }
}
