package dev.drkit.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KeyLayoutTest {
  private static final String ALPHABET = "abcXYZ019._-";

  @Test
  void filesystemSafeKeepsDirectoriesAndFilesApartAndNamesShort() {
    KeyLayout l = KeyLayout.FILESYSTEM_SAFE;
    assertThat(l.encode("a")).isEqualTo("a");
    assertThat(l.encode("a/b")).isEqualTo("a~/b");
    assertThat(l.encode("data/ab/abcdef")).isEqualTo("data~/ab~/abcdef");
    String seg = "m".repeat(255);
    assertThat(l.encode(seg)).isEqualTo("m".repeat(128) + "~~/" + "m".repeat(127));
    assertThat(l.encode(seg + "/x").split("/")).allSatisfy(name -> assertThat(name.length()).isLessThanOrEqualTo(KeyLayout.PIECE + 2));
    assertThat(l.encode("d/")).isEqualTo("d~/");
    assertThat(KeyLayout.PLAIN.encode("a/b")).isEqualTo("a/b");
  }

  @Test
  void decodeInvertsEncodeAndRejectsForeignObjects() {
    KeyLayout l = KeyLayout.FILESYSTEM_SAFE;
    assertThat(l.decode("a~/b")).isEqualTo("a/b");
    assertThat(l.decode("a/b")).as("written with PLAIN").isNull();
    assertThat(l.decode("~drkit-probe-1")).isNull();
    assertThat(l.decode("a~~/b")).as("a piece shorter than 128 before a continuation").isNull();
    assertThat(KeyLayout.PLAIN.decode("a/b")).isEqualTo("a/b");
    assertThat(KeyLayout.PLAIN.decode("a~/b")).isNull();
  }

  @Test
  void randomizedRoundTripAndPrefixPreservation() {
    Random random = new Random(42);
    for (KeyLayout layout : KeyLayout.values()) {
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < 2_000; i++) {
        keys.add(randomKey(random));
      }
      for (String key : keys) {
        assertThat(layout.decode(layout.encode(key))).isEqualTo(key);
        // every prefix of the key (as a list prefix) encodes to a prefix of the key's encoding
        for (int cut = 1; cut <= key.length(); cut++) {
          String prefix = key.substring(0, cut);
          assertThat(layout.encode(key)).startsWith(layout.encode(prefix));
        }
        // and a random other key's encoding starts with this prefix's encoding only if it starts with the prefix
        String other = keys.get(random.nextInt(keys.size()));
        for (int cut = 1; cut <= other.length(); cut++) {
          String prefix = other.substring(0, cut);
          assertThat(layout.encode(key).startsWith(layout.encode(prefix))).isEqualTo(key.startsWith(prefix));
        }
      }
      List<String> sorted = keys.stream().map(layout::encode).map(layout::decode).sorted(Comparator.naturalOrder()).toList();
      assertThat(sorted).containsExactlyInAnyOrderElementsOf(keys);
    }
  }

  private static String randomKey(Random random) {
    int segments = 1 + random.nextInt(4);
    StringBuilder key = new StringBuilder();
    for (int s = 0; s < segments; s++) {
      if (s > 0) {
        key.append('/');
      }
      int len = random.nextInt(10) == 0 ? 120 + random.nextInt(136) : 1 + random.nextInt(6);
      for (int i = 0; i < len; i++) {
        key.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
      }
      String seg = key.substring(key.lastIndexOf("/") + 1);
      if (seg.equals(".") || seg.equals("..")) {
        key.append('x');
      }
    }
    return key.toString();
  }
}
