package dev.drkit.examples.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** A log record's payload is an order or the deletion of one; anything else is refused as such. */
class OrderLogRecordTest {
  @Test
  void anOrderAndItsDeletionComeBackAsWrittenToTheNanosecond() throws IOException {
    Order o = new Order("o-1", "c", 250, Instant.parse("2026-12-06T10:15:30.123456789Z"), 3, "primary");
    assertThat(OrderLogRecord.decode(OrderLogRecord.insert(o)))
        .isEqualTo(new OrderLogRecord(o, false));
    assertThat(OrderLogRecord.decode(OrderLogRecord.delete(o))).isEqualTo(new OrderLogRecord(o, true));
  }

  @Test
  void hostilePayloadsAreRefusedAsNotAnOrder() {
    String tooLate = "{\"id\":\"o-1\",\"customer\":\"c\",\"amountCents\":1,\"createdAt\":999999999999999999.5,"
        + "\"epoch\":1,\"site\":\"p\"}";
    String[] hostile = {tooLate, "{\"deleted\":" + tooLate + "}", "{\"id\":", "[]", "null", "\"x\"", "",
        "{\"deleted\":null}", "{\"deleted\":[1]}"};
    for (String p : hostile) {
      assertThatThrownBy(() -> OrderLogRecord.decode(p.getBytes(StandardCharsets.UTF_8)))
          .as(p).isInstanceOf(IOException.class);
    }
  }
}
