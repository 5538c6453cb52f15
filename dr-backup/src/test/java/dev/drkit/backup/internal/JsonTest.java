package dev.drkit.backup.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.IntegrityException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void readsWhatTheMapperWritesForTheConfigAndKeySlotTypes() {
    KeySlots.Slot slot = new KeySlots.Slot(1, "pbkdf2-hmac-sha256", 600_000, "c2FsdA==", "2026-12-05T00:00:00Z",
        "host", "ZGF0YQ==");
    Map<String, Object> m = Json.readFlat(Json.write(slot), "slot");
    assertThat(m).containsEntry("version", 1L).containsEntry("kdf", "pbkdf2-hmac-sha256")
        .containsEntry("iterations", 600_000L).containsEntry("data", "ZGF0YQ==");
    assertThat(Json.integer(m, "iterations", "slot")).isEqualTo(600_000);
    assertThat(Json.string(m, "host", "slot")).isEqualTo("host");
    assertThat(Json.string(m, "absent", "slot")).isNull();
    assertThat(Json.integer(m, "absent", "slot")).isZero();
  }

  @Test
  void skipsNestedValuesAndKeepsNullsAndBooleans() {
    Map<String, Object> m = Json.readFlat("{\"a\":{\"b\":[1,2]},\"c\":null,\"d\":true,\"e\":[{}],\"f\":\"x\"}"
        .getBytes(UTF_8), "x");
    assertThat(m).containsOnlyKeys("c", "d", "f").containsEntry("d", true).containsEntry("f", "x");
  }

  @Test
  void namesTheObjectAndTheProblemWhenMalformed() {
    assertThatThrownBy(() -> Json.readFlat("[1]".getBytes(UTF_8), "key slot keys/ab"))
        .isInstanceOf(IntegrityException.class).hasMessageContaining("key slot keys/ab is malformed");
    assertThatThrownBy(() -> Json.readFlat("{\"a\":1".getBytes(UTF_8), "repository config"))
        .isInstanceOf(IntegrityException.class).hasMessageStartingWith("repository config is malformed");
    assertThatThrownBy(() -> Json.readFlat("{} {}".getBytes(UTF_8), "x"))
        .isInstanceOf(IntegrityException.class).hasMessageContaining("data after the object");
    assertThatThrownBy(() -> Json.readFlat(new byte[0], "x")).isInstanceOf(IntegrityException.class);
    Map<String, Object> m = Json.readFlat("{\"n\":\"12\",\"s\":12,\"big\":9999999999}".getBytes(UTF_8), "slot");
    assertThatThrownBy(() -> Json.integer(m, "n", "slot")).isInstanceOf(IntegrityException.class)
        .hasMessageContaining("n is not an integer");
    assertThatThrownBy(() -> Json.integer(m, "big", "slot")).isInstanceOf(IntegrityException.class);
    assertThatThrownBy(() -> Json.string(m, "s", "slot")).isInstanceOf(IntegrityException.class)
        .hasMessageContaining("s is not a string");
  }
}
