package dev.drkit.examples.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** An order's validation: the id's alphabet and length as documented on {@link Order}. */
class OrderTest {
  private static final Pattern DOCUMENTED = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  @Test
  void anIdIsValidExactlyWhenItIsOneToSixtyFourOfTheDocumentedCharacters() {
    List<String> candidates = new ArrayList<>(List.of("", "a".repeat(64), "a".repeat(65), "o-00000001", "A.b_c-9",
        "bad id!", "é", "a\u0000"));
    for (char c = 0; c < 512; c++) {
      candidates.add(String.valueOf(c));
      candidates.add("x" + c + "y");
    }
    for (String id : candidates) {
      assertThat(Order.validId(id)).as("'%s'", id).isEqualTo(DOCUMENTED.matcher(id).matches());
    }
    assertThat(Order.validId(null)).isFalse();
  }

  @Test
  void anInvalidIdIsRefusedNamingIt() {
    assertThatThrownBy(() -> new Order("no/slash", "c", 1, Instant.EPOCH, 1, "primary"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no/slash");
  }
}
