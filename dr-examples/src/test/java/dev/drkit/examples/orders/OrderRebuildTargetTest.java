package dev.drkit.examples.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drkit.core.StaleEpochException;
import dev.drkit.core.spi.ReplayRecord;
import dev.drkit.core.spi.Site;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example's bulk apply on a real H2 site: one transaction per batch with the applied offset in
 * it, insert-if-missing, fencing, and the streaming decoder against Jackson's databinding.
 */
class OrderRebuildTargetTest {
  private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00.123456Z");
  @TempDir Path tmp;
  private OrderSite primary;
  private OrderSite backup;
  private OrderRebuildTarget target;

  @BeforeEach
  void sites() {
    primary = new OrderSite("primary", Site.PRIMARY, tmp.resolve("primary"), Clock.systemUTC()).start();
    backup = new OrderSite("backup", Site.BACKUP, tmp.resolve("backup"), Clock.systemUTC());
    target = new OrderRebuildTarget(primary, backup, () -> {
      throw new AssertionError("no snapshot is loaded here");
    }, tmp.resolve("staging"), Optional::empty);
  }

  @AfterEach
  void stop() {
    primary.stop();
  }

  private static Order order(int i) {
    return new Order(String.format("o-%06d", i), "c" + i, 100 + i, T0.plusMillis(i), 1, "primary");
  }

  private static ReplayRecord record(long offset, long epoch, Order o) throws IOException {
    return new ReplayRecord(offset, epoch, o.createdAt(), JSON.writeValueAsBytes(o));
  }

  private static List<ReplayRecord> records(int from, int to) throws IOException {
    List<ReplayRecord> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add(record(i, 1, order(i)));
    }
    return out;
  }

  private static Set<String> ids(int from, int to) {
    return IntStream.range(from, to).mapToObj(i -> order(i).id()).collect(Collectors.toSet());
  }

  @Test
  void aSiteKilledBeforeABatchCommitsHasNoneOfItAndTheReplayResumesExactlyOnce() throws Exception {
    target.apply("orders", Site.PRIMARY, records(0, 100), 2);
    target.beforeCommit(offset -> {
      if (offset == 199) {
        primary.kill(); // the database goes down with the batch written but not committed
      }
    });
    assertThatThrownBy(() -> target.apply("orders", Site.PRIMARY, records(100, 200), 2))
        .isInstanceOf(SiteUnavailableException.class).hasMessageContaining("up to offset 199");

    primary.start();
    assertThat(primary.orderIds()).isEqualTo(ids(0, 100));
    assertThat(primary.appliedOffset()).isEqualTo(99);

    target.beforeCommit(offset -> { });
    target.apply("orders", Site.PRIMARY, records(100, 200), 2);
    target.apply("orders", Site.PRIMARY, records(0, 200), 2); // a resumed replay applies again: no effect
    assertThat(primary.orderIds()).isEqualTo(ids(0, 200));
    assertThat(primary.orders()).hasSize(200);
    assertThat(primary.appliedOffset()).isEqualTo(199);
    assertThat(primary.lastCommit()).contains(order(199).createdAt());
  }

  @Test
  void aFailedBatchLeavesNothingAndTheOffsetWhereItWas() throws Exception {
    target.apply("orders", Site.PRIMARY, records(0, 10), 2);
    target.beforeCommit(offset -> {
      throw new IllegalStateException("injected failure before the commit of " + offset);
    });
    assertThatThrownBy(() -> target.apply("orders", Site.PRIMARY, records(10, 20), 2))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("19");
    assertThat(primary.orderIds()).isEqualTo(ids(0, 10));
    assertThat(primary.appliedOffset()).isEqualTo(9);
  }

  @Test
  void insertsOnlyMissingOrdersInLogOrderAndLeavesPresentOnesAsTheyAre() throws Exception {
    Order present = order(1);
    primary.applyReplicated(new Order(present.id(), "already-here", 5, present.createdAt(), 1, "backup"), 1, 0);
    Order dup = order(2);
    List<ReplayRecord> batch = List.of(record(1, 1, present), record(2, 1, dup),
        record(3, 1, new Order(dup.id(), "second-copy", 7, dup.createdAt(), 1, "primary")), record(4, 1, order(3)));

    target.apply("orders", Site.PRIMARY, batch, 2);

    assertThat(primary.get(present.id()).orElseThrow().customer()).isEqualTo("already-here");
    assertThat(primary.get(dup.id()).orElseThrow().customer()).isEqualTo(dup.customer());
    assertThat(primary.orders()).extracting(Order::id).containsExactly(present.id(), dup.id(), order(3).id());
    assertThat(primary.appliedOffset()).isEqualTo(4);
  }

  @Test
  void anOrderPresentDeepInABatchLeavesNoPartOfTheFailedFirstInsertBehind() throws Exception {
    Order present = order(60);
    primary.applyReplicated(new Order(present.id(), "already-here", 5, present.createdAt(), 1, "backup"), 1, 0);

    target.apply("orders", Site.PRIMARY, records(1, 101), 2);

    assertThat(primary.orders()).hasSize(100);
    assertThat(primary.get(present.id()).orElseThrow().customer()).isEqualTo("already-here");
    List<String> expected = new ArrayList<>(List.of(present.id()));
    IntStream.range(1, 101).filter(i -> i != 60).forEach(i -> expected.add(order(i).id()));
    assertThat(primary.orders()).extracting(Order::id).containsExactlyElementsOf(expected);
    assertThat(primary.appliedOffset()).isEqualTo(100);
  }

  @Test
  void aSiteKilledBeforeTheCommitOfABatchWrittenAgainAfterADuplicateHasNoneOfIt() throws Exception {
    target.apply("orders", Site.PRIMARY, records(0, 50), 2);
    target.beforeCommit(offset -> {
      if (offset == 149) {
        primary.kill(); // the batch went through the duplicate path and is written but not committed
      }
    });
    assertThatThrownBy(() -> target.apply("orders", Site.PRIMARY, records(40, 150), 2))
        .isInstanceOf(SiteUnavailableException.class).hasMessageContaining("up to offset 149");

    primary.start();
    assertThat(primary.orderIds()).isEqualTo(ids(0, 50));
    assertThat(primary.appliedOffset()).isEqualTo(49);

    target.beforeCommit(offset -> { });
    target.apply("orders", Site.PRIMARY, records(40, 150), 2);
    assertThat(primary.orderIds()).isEqualTo(ids(0, 150));
    assertThat(primary.orders()).extracting(Order::id).containsExactlyElementsOf(
        IntStream.range(0, 150).mapToObj(i -> order(i).id()).toList());
    assertThat(primary.appliedOffset()).isEqualTo(149);
  }

  @Test
  void preparesOffTheStoreAndAppliesWhatItPrepared() throws Exception {
    List<ReplayRecord> batch = new ArrayList<>(records(0, 3));
    batch.add(record(3, 2, order(3)));
    OrderRebuildTarget.Decoded decoded = target.prepare("orders", batch);
    primary.kill(); // preparing needs no store: only applying does
    primary.start();

    target.applyPrepared("orders", Site.PRIMARY, batch, decoded, 2);

    assertThat(primary.orderIds()).isEqualTo(ids(0, 4));
    assertThat(primary.appliedOffset()).isEqualTo(3);
    assertThatThrownBy(() -> target.prepare("orders", List.of(record(7, 1, order(7)),
        new ReplayRecord(8, 1, T0, "not json".getBytes(StandardCharsets.UTF_8)))))
        .isInstanceOf(IOException.class).hasMessageContaining("offset 8");
  }

  @Test
  void aBatchSpanningTwoEpochsCommitsEachRunWithItsLastOffset() throws Exception {
    List<ReplayRecord> batch = new ArrayList<>(records(0, 3));
    batch.add(record(3, 2, order(3)));
    batch.add(record(4, 2, order(4)));
    List<Long> committed = new ArrayList<>();
    target.beforeCommit(committed::add);

    target.apply("orders", Site.PRIMARY, batch, 3);

    assertThat(committed).containsExactly(2L, 4L);
    assertThat(primary.orderIds()).isEqualTo(ids(0, 5));
  }

  @Test
  void refusesRecordsFromAnEpochOlderThanTheSitesAndWritesNothing() throws Exception {
    primary.fence(3);
    assertThatThrownBy(() -> target.apply("orders", Site.PRIMARY, records(0, 5), 3))
        .isInstanceOf(StaleEpochException.class);
    assertThat(primary.orderIds()).isEmpty();
  }

  @Test
  void refusesToApplyToAPrimary() throws Exception {
    primary.promote(1);
    assertThatThrownBy(() -> target.apply("orders", Site.PRIMARY, records(0, 5), 1))
        .isInstanceOf(SiteUnavailableException.class).hasMessageContaining("is primary");
    assertThat(primary.orderIds()).isEmpty();
  }

  @Test
  void theStreamingDecoderReadsWhatJacksonReads() throws Exception {
    Order withNanos = new Order("n-1", "c \"quoted\" \u00e9", 0, Instant.parse("2026-03-04T05:06:07.123456789Z"), 9,
        "backup");
    Order beforeEpoch = new Order("b-1", "c", 42, Instant.parse("1969-12-31T23:59:58.5Z"), 1, "primary");
    for (Order o : List.of(withNanos, beforeEpoch, order(7))) {
      assertThat(OrderRebuildTarget.OrderJson.decode(JSON.writeValueAsBytes(o), 1)).isEqualTo(o);
    }
    String iso = "{\"id\":\"i-1\",\"customer\":\"c\",\"amountCents\":1,\"createdAt\":\"2026-01-01T00:00:00Z\","
        + "\"epoch\":1,\"site\":\"primary\"}";
    assertThat(OrderRebuildTarget.OrderJson.decode(iso.getBytes(StandardCharsets.UTF_8), 1))
        .isEqualTo(new Order("i-1", "c", 1, Instant.parse("2026-01-01T00:00:00Z"), 1, "primary"));
  }

  @Test
  void theSitesFormIsReadInOnePassAsJacksonReadsIt() throws Exception {
    Random random = new Random(14);
    List<Order> orders = new ArrayList<>(List.of(order(0), new Order("a", "c", 0, Instant.EPOCH, 0, "s"),
        new Order("o.X_9-" + "z".repeat(58), "customer 7", Long.MAX_VALUE / 10, Instant.parse("2262-04-11T23:47:16.854775807Z"),
            999_999_999_999_999_999L, "backup-2")));
    for (int i = 0; i < 2_000; i++) {
      orders.add(new Order("o-" + random.nextInt(1_000_000), "c" + random.nextInt(97), random.nextInt(Integer.MAX_VALUE),
          Instant.ofEpochSecond(random.nextInt(2_000_000_000), random.nextInt(1_000_000_000)), 1 + random.nextInt(9),
          random.nextBoolean() ? "primary" : "backup"));
    }
    for (Order o : orders) {
      byte[] payload = JSON.writeValueAsBytes(o);
      assertThat(OrderRebuildTarget.OrderJson.exact(payload)).as(new String(payload, StandardCharsets.UTF_8))
          .isEqualTo(o);
    }
  }

  @Test
  void anyOtherFormIsLeftToJackson() throws Exception {
    String sites = "{\"id\":\"o-1\",\"customer\":\"c\",\"amountCents\":12,\"createdAt\":1767225600.5,"
        + "\"epoch\":3,\"site\":\"primary\"}";
    Order expected = new Order("o-1", "c", 12, Instant.parse("2026-01-01T00:00:00.5Z"), 3, "primary");
    assertThat(OrderRebuildTarget.OrderJson.exact(sites.getBytes(StandardCharsets.UTF_8))).isEqualTo(expected);
    List<String> others = List.of(
        sites.replace("\"c\"", "\"c\\\"q\""), // an escape
        sites.replace("\"c\"", "\"\u00e9\""), // not ASCII
        sites.replace(",\"epoch\"", ", \"epoch\""), // white space
        sites.replace(":12,", ":012,"), // a leading zero
        sites.replace(":12,", ":-12,"), // a sign
        sites.replace(":12,", ":1234567890123456789,"), // more than 18 digits
        sites.replace("1767225600.5", "1767225600"), // no decimals
        sites.replace("1767225600.5", "1767225600.5000000001"), // more than nine decimals
        sites.replace("1767225600.5", "1.7672256005E9"), // an exponent
        sites.replace("1767225600.5", "-1.5"), // before 1970
        sites.replace("1767225600.5", "\"2026-01-01T00:00:00.5Z\""), // ISO-8601
        sites + " ", // trailing bytes
        sites.replace("{\"id\":\"o-1\",\"customer\":\"c\"", "{\"customer\":\"c\",\"id\":\"o-1\""), // order
        sites.replace(",\"site\":\"primary\"", "")); // a field missing
    for (String other : others) {
      byte[] payload = other.getBytes(StandardCharsets.UTF_8);
      assertThat(OrderRebuildTarget.OrderJson.exact(payload)).as(other).isNull();
      Object jackson;
      try {
        jackson = JSON.readValue(payload, Order.class);
      } catch (IOException | IllegalArgumentException e) {
        jackson = "refused";
      }
      Object decoded;
      try {
        decoded = OrderRebuildTarget.OrderJson.decode(payload, 1);
      } catch (IOException e) {
        decoded = "refused";
      }
      assertThat(decoded).as(other).isEqualTo(jackson);
    }
  }

  @Test
  void aRecordThatIsNotAnOrderIsRefusedNamingItsOffset() {
    assertThatThrownBy(() -> OrderRebuildTarget.OrderJson.decode("{\"id\":".getBytes(StandardCharsets.UTF_8), 4711))
        .isInstanceOf(IOException.class).hasMessageContaining("offset 4711");
    assertThatThrownBy(() -> OrderRebuildTarget.OrderJson.decode(
        "{\"id\":\"bad id!\",\"customer\":\"c\",\"amountCents\":1,\"createdAt\":1.0,\"epoch\":1,\"site\":\"p\"}"
            .getBytes(StandardCharsets.UTF_8), 12))
        .isInstanceOf(IOException.class).hasMessageContaining("offset 12").hasMessageContaining("bad id!");
  }

  @Test
  void aTimeBeyondWhatAnInstantHoldsIsRefusedNamingTheOffsetInEitherForm() {
    // 18 digits of seconds: the sites' exact form, read in one pass
    String exact = "{\"id\":\"o-1\",\"customer\":\"c\",\"amountCents\":1,\"createdAt\":999999999999999999.5,"
        + "\"epoch\":1,\"site\":\"p\"}";
    assertThatThrownBy(() -> OrderRebuildTarget.OrderJson.decode(exact.getBytes(StandardCharsets.UTF_8), 77))
        .isInstanceOf(IOException.class).hasMessageContaining("offset 77");
    // the same with white space: another form, read by the streaming decoder or Jackson
    String spaced = exact.replace(",", ", ");
    assertThatThrownBy(() -> OrderRebuildTarget.OrderJson.decode(spaced.getBytes(StandardCharsets.UTF_8), 78))
        .isInstanceOf(IOException.class).hasMessageContaining("offset 78");
  }
}
