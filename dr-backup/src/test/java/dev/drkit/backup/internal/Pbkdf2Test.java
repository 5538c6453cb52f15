package dev.drkit.backup.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.Random;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.junit.jupiter.api.Test;

class Pbkdf2Test {
  private static byte[] jdk(char[] pw, byte[] salt, int iterations, int length) throws Exception {
    return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
        .generateSecret(new PBEKeySpec(pw, salt, iterations, length * 8)).getEncoded();
  }

  @Test
  void matchesTheRfc7914TestVectors() {
    assertThat(HexFormat.of().formatHex(Pbkdf2.deriveHmacSha256("passwd".toCharArray(), "salt".getBytes(), 1, 64)))
        .isEqualTo("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
    assertThat(HexFormat.of().formatHex(Pbkdf2.deriveHmacSha256("Password".toCharArray(), "NaCl".getBytes(), 80_000,
        64))).isEqualTo("4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
            + "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
  }

  @Test
  void derivesWhatTheJdkDerivesForRandomPassphrasesSaltsCountsAndLengths() throws Exception {
    Random r = new Random(7);
    for (int i = 0; i < 200; i++) {
      char[] pw = new char[r.nextInt(i % 10 == 0 ? 200 : 24)];
      for (int c = 0; c < pw.length; c++) {
        // ASCII, Latin-1, CJK, and now and then half of a surrogate pair (the JDK encodes it as '?')
        pw[c] = switch (r.nextInt(5)) {
          case 0 -> (char) (0x20 + r.nextInt(95));
          case 1 -> (char) (0xa0 + r.nextInt(0x60));
          case 2 -> (char) (0x4e00 + r.nextInt(0x5000));
          case 3 -> (char) (0xd800 + r.nextInt(0x800));
          default -> (char) r.nextInt(0x80);
        };
      }
      byte[] salt = new byte[1 + r.nextInt(40)];
      r.nextBytes(salt);
      int iterations = 1 + r.nextInt(50);
      int length = 1 + r.nextInt(100);
      assertThat(Pbkdf2.deriveHmacSha256(pw, salt, iterations, length)).as("case %d", i)
          .isEqualTo(jdk(pw, salt, iterations, length));
    }
  }

  @Test
  void derivesWhatTheJdkDerivesAtTheRepositorysIterationCount() throws Exception {
    char[] pw = "correct horse battery staple".toCharArray();
    byte[] salt = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f");
    assertThat(Pbkdf2.deriveHmacSha256(pw, salt, KeySlots.MIN_ITERATIONS, 32))
        .isEqualTo(jdk(pw, salt, KeySlots.MIN_ITERATIONS, 32));
    assertThat(pw).isEqualTo("correct horse battery staple".toCharArray());
  }

  @Test
  void refusesNonPositiveCountsAndLengths() {
    assertThatThrownBy(() -> Pbkdf2.deriveHmacSha256(new char[1], new byte[1], 0, 32))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("iterations");
    assertThatThrownBy(() -> Pbkdf2.deriveHmacSha256(new char[1], new byte[1], 1, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
