package dev.drkit.examples.orders;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drkit.core.spi.ReplayRecord;
import dev.drkit.core.spi.Site;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Measures how fast the orders example's H2 store takes replayed orders on its own, without the
 * replay around it (not a test: opt-in with {@code -Dceiling.orders=N}; benchmarks/RESULTS.md has
 * the command and figures). This is the ceiling of any rebuild's replay rate into this store: the
 * orders are decoded before the clock starts and nothing reads a log.
 *
 * <p>Each round uses fresh sites holding the first N/2 orders (written the same way, which also warms
 * the JIT on the same paths), then times writing the other N/2 in batches of 4,096 three ways:
 * <ul>
 *   <li>{@code target}: {@link OrderRebuildTarget#applyPrepared} as the rebuild calls it (one
 *       transaction per batch with the applied offset recorded);</li>
 *   <li>{@code statement-1}: the target's insert statement alone, one commit per batch, one session;</li>
 *   <li>{@code statement-2}: the same on two sessions at once, taking alternate batches (what several
 *       applying sessions would at best do, without recording an applied offset);</li>
 *   <li>{@code bare-table}: the same statement, one session, into a table of the same columns with no
 *       key, no index and no identity column: the floor of any H2 table taking these rows (it could not
 *       refuse a duplicate order, so it is no candidate for the site's schema).</li>
 * </ul>
 * Later rounds show the store in a warm JVM. Prints wall time, rate and CPU (the process's, and the
 * writing threads').
 */
@EnabledIfSystemProperty(named = "ceiling.orders", matches = "\\d+")
class StoreCeilingMeasurement {
  private static final com.sun.management.OperatingSystemMXBean PROCESS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();
  private static final int BATCH = 4096;
  private static final String BARE_TABLE = "CREATE TABLE bare (id VARCHAR(64) NOT NULL, customer VARCHAR(200) NOT NULL,"
      + " amount_cents BIGINT NOT NULL, created_at TIMESTAMP(6) WITH TIME ZONE NOT NULL, epoch BIGINT NOT NULL,"
      + " site VARCHAR(64) NOT NULL)";
  private static final String BARE_INSERT = OrderRebuildTarget.INSERT_ALL.replace("INSERT INTO orders ", "INSERT INTO bare ");
  @TempDir Path tmp;

  @Test
  void measure() throws Exception {
    int n = Integer.parseInt(System.getProperty("ceiling.orders"));
    int rounds = Integer.getInteger("ceiling.rounds", 3);
    int half = n / 2;
    assertThat(BARE_INSERT).startsWith("INSERT INTO bare ");
    OrderRebuildTarget decoder = target(null);
    List<List<ReplayRecord>> batches = new ArrayList<>();
    List<OrderRebuildTarget.Decoded> decoded = new ArrayList<>();
    List<List<Order>> orders = new ArrayList<>();
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    for (int from = 0; from < n; from += BATCH) {
      List<ReplayRecord> batch = new ArrayList<>();
      List<Order> os = new ArrayList<>();
      for (int i = from; i < Math.min(n, from + BATCH); i++) {
        Order o = new Order(String.format("o-%08d", i), "c" + (i % 97), 100 + i, t0.plusMillis(i), 1, "primary");
        os.add(o);
        batch.add(new ReplayRecord(i, 1, o.createdAt(), JSON.writeValueAsBytes(o)));
      }
      batches.add(batch);
      orders.add(os);
      decoded.add(decoder.prepare("orders", batch));
    }
    int firstTimed = (half + BATCH - 1) / BATCH;
    for (int round = 1; round <= rounds; round++) {
      for (String mode : List.of("target", "statement-1", "statement-2", "bare-table")) {
        OrderSite site = new OrderSite("backup", Site.BACKUP, tmp.resolve("r" + round + "-" + mode), Clock.systemUTC())
            .start();
        try {
          OrderRebuildTarget target = target(site);
          boolean bare = mode.equals("bare-table");
          if (bare) {
            try (Connection c = site.dataSource().getConnection(); Statement st = c.createStatement()) {
              st.execute(BARE_TABLE);
              c.setAutoCommit(false);
              for (int b = 0; b < firstTimed; b++) {
                insert(c, BARE_INSERT, orders.get(b));
              }
            }
          } else {
            for (int b = 0; b < firstTimed; b++) {
              target.applyPrepared("orders", Site.BACKUP, batches.get(b), decoded.get(b), 1);
            }
          }
          long records = 0;
          for (int b = firstTimed; b < batches.size(); b++) {
            records += batches.get(b).size();
          }
          int sessions = mode.equals("statement-2") ? 2 : 1;
          ExecutorService pool = Executors.newFixedThreadPool(sessions);
          CountDownLatch go = new CountDownLatch(1);
          List<Future<Long>> writers = new ArrayList<>();
          for (int w = 0; w < sessions; w++) {
            int me = w;
            writers.add(pool.submit(() -> {
              go.await();
              long cpu0 = THREADS.getCurrentThreadCpuTime();
              if (mode.equals("target")) {
                for (int b = firstTimed; b < batches.size(); b++) {
                  target.applyPrepared("orders", Site.BACKUP, batches.get(b), decoded.get(b), 1);
                }
              } else {
                try (Connection c = site.dataSource().getConnection()) {
                  c.setAutoCommit(false);
                  for (int b = firstTimed + me; b < batches.size(); b += sessions) {
                    insert(c, bare ? BARE_INSERT : OrderRebuildTarget.INSERT_ALL, orders.get(b));
                  }
                }
              }
              return THREADS.getCurrentThreadCpuTime() - cpu0;
            }));
          }
          var threads0 = RebuildMeasurement.nativeThreads();
          long process0 = PROCESS.getProcessCpuTime();
          long start = System.nanoTime();
          go.countDown();
          long writerCpu = 0;
          for (Future<Long> f : writers) {
            writerCpu += f.get();
          }
          long wall = System.nanoTime() - start;
          long processCpu = PROCESS.getProcessCpuTime() - process0;
          String byThread = RebuildMeasurement.nativeProfile(threads0, RebuildMeasurement.nativeThreads(), processCpu);
          pool.shutdown();
          assertThat(bare ? bareCount(site) : site.orderIds().size()).isEqualTo(n);
          System.out.printf("STORE-CEILING round=%d mode=%s records=%d wall=%dms rate=%.0f/s processCpu=%dms"
              + " (%.2f us/record) writersCpu=%dms (%.2f us/record) threads: %s%n", round, mode, records, wall / 1_000_000,
              records / (wall / 1e9), processCpu / 1_000_000, processCpu / 1e3 / records, writerCpu / 1_000_000,
              writerCpu / 1e3 / records, byThread);
        } finally {
          site.stop();
        }
      }
    }
  }

  private static long bareCount(OrderSite site) throws SQLException {
    try (Connection c = site.dataSource().getConnection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM bare")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void insert(Connection c, String sql, List<Order> batch) throws SQLException {
    try {
      OrderRebuildTarget.insert(c, sql, batch);
      c.commit();
    } catch (SQLException e) {
      c.rollback();
      throw e;
    }
  }

  private OrderRebuildTarget target(@org.jspecify.annotations.Nullable OrderSite site) {
    OrderSite s = site != null ? site : new OrderSite("unused", Site.BACKUP, tmp.resolve("unused"), Clock.systemUTC());
    return new OrderRebuildTarget(s, s, () -> {
      throw new IllegalStateException("no repository in this measurement");
    }, tmp.resolve("staging"), Optional::empty);
  }
}
