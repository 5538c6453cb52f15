package dev.drkit.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drkit.core.FailoverState;
import dev.drkit.core.internal.ServiceStateCodec.MalformedStateException;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The one state codec: round trips, and refuses hostile or damaged bytes by naming the field. */
class ServiceStateCodecTest {
  private static final ServiceState STATE = new ServiceState("orders", FailoverState.BACKUP_ACTIVE, 7, Site.BACKUP,
      Instant.parse("2026-01-01T00:00:00Z"), "failover by ops: drill", Map.of("mode", "manual", "by", "ops"));

  private static final String VALID = "{\"format\":1,\"version\":3,\"service\":\"orders\",\"state\":\"BACKUP_ACTIVE\","
      + "\"epoch\":7,\"activeSite\":\"BACKUP\",\"since\":\"2026-01-01T00:00:00Z\",\"reason\":\"r\","
      + "\"attributes\":{\"a\":\"b\"}}";

  private static ServiceState decode(String json) {
    return ServiceStateCodec.decode(ServiceStateCodec.parse(json.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void roundTripsAStateWithTheStoresOwnFields() {
    String json = ServiceStateCodec.encode(STATE, Map.of("version", 3L, "writeId", "w-1"));
    JsonNode root = ServiceStateCodec.parse(json.getBytes(StandardCharsets.UTF_8));
    assertThat(ServiceStateCodec.decode(root)).isEqualTo(STATE);
    assertThat(ServiceStateCodec.integer(root, "version")).isEqualTo(3);
    assertThat(ServiceStateCodec.text(root, "writeId")).isEqualTo("w-1");
    assertThat(json).startsWith("{\"format\":1,").doesNotContain("\n");
    assertThat(decode(VALID).epoch()).isEqualTo(7);
  }

  @Test
  void aStateWithoutAnEpochIsRefusedNotReadAsZero() {
    String json = VALID.replace("\"epoch\":7,", "");
    assertThatThrownBy(() -> decode(json)).isInstanceOf(MalformedStateException.class)
        .hasMessage("field 'epoch' missing or not an integer");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "epoch as a string            | \"epoch\":7,                          | \"epoch\":\"7\",                              | field 'epoch' missing or not an integer",
      "epoch as a fraction          | \"epoch\":7,                          | \"epoch\":7.5,                                | field 'epoch' missing or not an integer",
      "epoch past a long            | \"epoch\":7,                          | \"epoch\":99999999999999999999,               | field 'epoch' missing or not an integer",
      "negative epoch               | \"epoch\":7,                          | \"epoch\":-1,                                 | epoch must be >= 0",
      "null epoch                   | \"epoch\":7,                          | \"epoch\":null,                               | field 'epoch' missing or not an integer",
      "unknown state                | \"BACKUP_ACTIVE\"                      | \"ON_FIRE\"                                   | field 'state' is not a FailoverState",
      "unknown site                 | \"activeSite\":\"BACKUP\"              | \"activeSite\":\"MOON\"                       | field 'activeSite' is not a Site",
      "bad instant                  | 2026-01-01T00:00:00Z                  | yesterday                                     | field 'since' is not an ISO-8601 instant",
      "service missing              | \"service\":\"orders\",                |                                               | field 'service' missing or not a string",
      "service a number             | \"service\":\"orders\",                | \"service\":5,                                | field 'service' missing or not a string",
      "attribute a number           | {\"a\":\"b\"}                          | {\"a\":1}                                     | attribute 'a' is not a string",
      "attributes an array          | {\"a\":\"b\"}                          | [\"a\"]                                       | field 'attributes' missing or not an object",
      "duplicated epoch             | \"epoch\":7,                          | \"epoch\":7,\"epoch\":1,                      | not JSON: Duplicate field 'epoch'",
      "format 2                     | \"format\":1                          | \"format\":2                                  | unknown format 2",
      "format as a string           | \"format\":1                          | \"format\":\"1\"                              | unknown format \"1\"",
  })
  void refusesAFieldThatIsMissingOrWrong(String what, String from, String to, String message) {
    String json = VALID.replace(from, to == null ? "" : to);
    assertThat(json).as(what).isNotEqualTo(VALID);
    assertThatThrownBy(() -> decode(json)).as(what).isInstanceOf(MalformedStateException.class)
        .hasMessageContaining(message);
  }

  @Test
  void refusesBytesThatAreNotOneJsonObject() {
    assertThatThrownBy(() -> decode("")).isInstanceOf(MalformedStateException.class).hasMessageContaining("not a JSON object");
    assertThatThrownBy(() -> decode("[1,2]")).isInstanceOf(MalformedStateException.class).hasMessageContaining("not a JSON object");
    assertThatThrownBy(() -> decode(VALID + " {}")).isInstanceOf(MalformedStateException.class).hasMessageContaining("not JSON");
    assertThatThrownBy(() -> decode(VALID.substring(0, 40))).isInstanceOf(MalformedStateException.class)
        .hasMessageContaining("not JSON");
    assertThatThrownBy(() -> ServiceStateCodec.parse(new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1}))
        .isInstanceOf(MalformedStateException.class).hasMessageContaining("not JSON");
    String deep = "{\"format\":1,\"x\":" + "[".repeat(1000) + "]".repeat(1000) + "}";
    assertThatThrownBy(() -> decode(deep)).isInstanceOf(MalformedStateException.class).hasMessageContaining("not JSON");
    assertThatThrownBy(() -> ServiceStateCodec.parse(new byte[ServiceStateCodec.MAX_BYTES + 1]))
        .isInstanceOf(MalformedStateException.class).hasMessageContaining("at most");
  }

  @Test
  void damagedBytesDecodeToAStateOrAreRefusedNeverAnotherFailure() {
    byte[] valid = ServiceStateCodec.encode(STATE, Map.of("version", 3L)).getBytes(StandardCharsets.UTF_8);
    Random random = new Random(16);
    int refused = 0;
    for (int i = 0; i < 5_000; i++) {
      byte[] b = valid.clone();
      int flips = 1 + random.nextInt(4);
      for (int f = 0; f < flips; f++) {
        b[random.nextInt(b.length)] = (byte) random.nextInt(256);
      }
      try {
        ServiceState s = ServiceStateCodec.decode(ServiceStateCodec.parse(b));
        assertThat(s.epoch()).isNotNegative();
      } catch (MalformedStateException e) {
        assertThat(e.getMessage()).isNotBlank();
        refused++;
      }
    }
    assertThat(refused).as("most random damage is detected").isGreaterThan(2_500);
  }

  @Test
  void anEnvelopeFieldCannotShadowAStateField() {
    assertThatThrownBy(() -> ServiceStateCodec.encode(STATE, Map.of("epoch", 0L)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'epoch'");
    assertThatThrownBy(() -> ServiceStateCodec.encode(STATE, Map.of("x", 1.5)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'x'");
  }
}
