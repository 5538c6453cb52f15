package dev.drkit.validation.checks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.spi.CheckContext;
import dev.drkit.core.spi.HealthCheck;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.SyntheticTransaction;
import dev.drkit.testkit.FakeClock;
import dev.drkit.validation.CheckRegistry;
import dev.drkit.validation.testing.LoopbackHttp;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DataChecksTest {
  private static final CheckContext CTX = new CheckContext("orders", Site.BACKUP, 7, Duration.ofSeconds(5));
  private final CheckRegistry registry = CheckRegistry.withBuiltIns();
  private JdbcDataSource db;

  @BeforeEach
  void database() throws SQLException {
    db = new JdbcDataSource();
    db.setURL("jdbc:h2:mem:checks" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
    try (Connection c = db.getConnection(); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE orders(id BIGINT PRIMARY KEY, status VARCHAR(20))");
      st.execute("INSERT INTO orders VALUES (1, 'NEW'), (2, 'PAID'), (3, 'PAID')");
    }
    registry.registerDataSource("orders-db", db);
  }

  private HealthCheck check(String type, Map<String, Object> params) {
    return registry.create(CheckSpec.of(type, params), Site.BACKUP);
  }

  @Test
  void jdbcCheckPassesWhenTheQueryReturnsTheExpectedValue() throws Exception {
    HealthResult r = check("jdbc", Map.of("dataSource", "orders-db", "query",
        "SELECT COUNT(*) FROM orders WHERE status = 'PAID'", "expected", 2)).check(CTX);
    assertThat(r.healthy()).as(r.detail()).isTrue();
    assertThat(r.data()).containsEntry("value", "2");
    assertThat(check("jdbc", Map.of("dataSource", "orders-db", "query", "SELECT status FROM orders WHERE id = 1",
        "expected", "NEW")).check(CTX).healthy()).isTrue();
    assertThat(check("jdbc", Map.of("dataSource", "orders-db", "query", "SELECT COUNT(*) > 0 FROM orders",
        "expected", true)).check(CTX).healthy()).isTrue();
    assertThat(check("jdbc", Map.of("dataSource", "orders-db", "query", "SELECT 1")).check(CTX).healthy()).isTrue();
  }

  @Test
  void jdbcCheckFailsOnAnotherValueOrNoRows() throws Exception {
    HealthResult wrong = check("jdbc", Map.of("dataSource", "orders-db", "query", "SELECT COUNT(*) FROM orders",
        "expected", 4)).check(CTX);
    assertThat(wrong.healthy()).isFalse();
    assertThat(wrong.detail()).contains("returned '3'").contains("expected '4'");
    HealthResult none = check("jdbc", Map.of("dataSource", "orders-db", "query",
        "SELECT id FROM orders WHERE id = 99", "expected", 99)).check(CTX);
    assertThat(none.healthy()).isFalse();
    assertThat(none.detail()).contains("no rows");
  }

  @Test
  void jdbcCheckThrowsOnABrokenQuery() {
    HealthCheck bad = check("jdbc", Map.of("dataSource", "orders-db", "query", "SELECT * FROM missing_table"));
    assertThatThrownBy(() -> bad.check(CTX)).isInstanceOf(SQLException.class).hasMessageContaining("MISSING_TABLE");
  }

  /** A synthetic transaction over a map, with switchable faults. */
  static final class MapTransaction implements SyntheticTransaction {
    final Map<String, byte[]> store = new ConcurrentHashMap<>();
    volatile boolean failWrite;
    volatile boolean corruptRead;
    volatile boolean forgetCleanup;
    final AtomicInteger cleanups = new AtomicInteger();

    @Override
    public void write(CheckContext context, String probeId, byte[] payload) throws IOException {
      if (failWrite) {
        store.put(probeId, payload);
        throw new IOException("quota exceeded");
      }
      store.put(probeId, payload);
    }

    @Override
    public byte[] read(CheckContext context, String probeId) {
      byte[] b = store.get(probeId);
      if (b != null && corruptRead) {
        b = b.clone();
        b[0] ^= 1;
      }
      return b;
    }

    @Override
    public void cleanUp(CheckContext context, String probeId) {
      cleanups.incrementAndGet();
      if (!forgetCleanup) {
        store.remove(probeId);
      }
    }
  }

  @Test
  void syntheticCheckWritesReadsBackAndCleansUp() throws Exception {
    MapTransaction tx = new MapTransaction();
    registry.registerSynthetic("orders-tx", tx);
    HealthResult r = check("synthetic", Map.of("transaction", "orders-tx", "payloadBytes", 128)).check(CTX);
    assertThat(r.healthy()).as(r.detail()).isTrue();
    assertThat(tx.store).isEmpty();
    assertThat(tx.cleanups).hasValue(1);
  }

  @Test
  void syntheticCheckNamesTheFailingStageAndStillCleansUp() throws Exception {
    MapTransaction tx = new MapTransaction();
    registry.registerSynthetic("orders-tx", tx);
    HealthCheck c = check("synthetic", Map.of("transaction", "orders-tx"));
    tx.failWrite = true;
    HealthResult write = c.check(CTX);
    assertThat(write.healthy()).isFalse();
    assertThat(write.detail()).contains("write failed").contains("quota exceeded");
    assertThat(write.data()).containsEntry("stage", "write");
    assertThat(tx.store).as("a failed write is cleaned up too").isEmpty();
    tx.failWrite = false;
    tx.corruptRead = true;
    HealthResult read = c.check(CTX);
    assertThat(read.healthy()).isFalse();
    assertThat(read.detail()).contains("different from the 64 written");
    tx.corruptRead = false;
    tx.forgetCleanup = true;
    HealthResult cleanup = c.check(CTX);
    assertThat(cleanup.healthy()).isFalse();
    assertThat(cleanup.detail()).contains("clean-up left the record");
    assertThat(cleanup.data()).containsEntry("stage", "cleanUp");
  }

  @Test
  void performanceCheckPassesWithinBudgetsAndReportsPercentiles() throws Exception {
    // latencies come from a fake clock the operation moves, 1 ms per probe, however busy the machine is
    FakeClock clock = new FakeClock();
    HealthCheck quick = ctx -> {
      clock.advance(Duration.ofMillis(1));
      return HealthResult.healthy("ok");
    };
    HealthResult r = new PerformanceCheck(quick, 200, 1, new PerformanceCheck.Budgets(Duration.ofMillis(100),
        Duration.ofMillis(200), Duration.ofMillis(500), 10, 0), clock::nanoTime).check(CTX);
    assertThat(r.healthy()).as(r.detail()).isTrue();
    assertThat(r.data()).containsEntry("probes", 200).containsEntry("errors", 0).containsKeys("p50Millis",
        "p95Millis", "p99Millis", "throughputPerSecond");
    assertThat(r.data()).containsEntry("p50Millis", 1.0).containsEntry("p95Millis", 1.0)
        .containsEntry("p99Millis", 1.0);
    // 200 probes in 200 ms of fake time
    assertThat((double) r.data().get("throughputPerSecond")).isCloseTo(1000.0, within(1e-6));
  }

  @Test
  void performanceCheckFailsWhenALatencyBudgetIsBlown() throws Exception {
    // every tenth call takes 30 ms of fake time, the others 1 ms: p95 and p99 land on slow calls
    FakeClock clock = new FakeClock();
    AtomicInteger n = new AtomicInteger();
    HealthCheck tail = ctx -> {
      clock.advance(Duration.ofMillis(n.incrementAndGet() % 10 == 0 ? 30 : 1));
      return HealthResult.healthy("ok");
    };
    HealthResult r = new PerformanceCheck(tail, 40, 1, new PerformanceCheck.Budgets(Duration.ofMillis(25),
        Duration.ofMillis(20), null, 0, 0), clock::nanoTime).check(CTX);
    assertThat(r.healthy()).isFalse();
    assertThat(r.detail()).startsWith("p95 30.0 ms > budget 20.0 ms");
    assertThat(r.data()).containsEntry("p50Millis", 1.0).containsEntry("p95Millis", 30.0);
    @SuppressWarnings("unchecked")
    List<String> violations = (List<String>) r.data().get("violations");
    assertThat(violations).hasSize(1).allMatch(v -> v.startsWith("p95 "));
  }

  @Test
  void performanceCheckCountsFailedProbesAgainstTheErrorBudget() throws Exception {
    AtomicInteger n = new AtomicInteger();
    registry.registerCheck("flaky-op", ctx -> {
      if (n.incrementAndGet() % 4 == 0) {
        throw new IOException("reset by peer");
      }
      return n.get() % 4 == 1 ? null : HealthResult.healthy("ok");
    });
    HealthResult r = check("performance", Map.of("operation", "flaky-op", "probes", 40, "p99", "1s",
        "maxErrorRate", 0.4)).check(CTX);
    assertThat(r.data()).containsEntry("errors", 20);
    assertThat(r.healthy()).isFalse();
    assertThat(r.detail()).contains("error rate 0.500 > budget 0.400");
  }

  @Test
  void performanceCheckProbesAnHttpUrl() throws Exception {
    try (LoopbackHttp server = new LoopbackHttp(ex -> LoopbackHttp.respond(ex, 200, "ok"))) {
      HealthResult r = check("performance", Map.of("url", server.url("/api").toString(), "probes", 30,
          "concurrency", 3, "p99", "2s")).check(CTX);
      assertThat(r.healthy()).as(r.detail()).isTrue();
      assertThat(server.requests).hasValue(30);
    }
  }

  @Test
  void performanceCheckNeedsOneOperationAndOneBudget() {
    assertThatThrownBy(() -> registry.validate(CheckSpec.of("performance", Map.of("probes", 10))))
        .hasMessageContaining("params.operation").hasMessageContaining("params.p99");
  }
}
