package dev.drkit.examples.orders;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.spi.CheckContext;
import dev.drkit.core.spi.HealthCheck;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.core.spi.Site;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrderChecksTest {
  @TempDir Path tmp;
  private OrderSite primary;
  private Router router;

  @AfterEach
  void tearDown() {
    if (router != null) {
      router.close();
    }
    if (primary != null) {
      primary.stop();
    }
  }

  /**
   * Found by the soak (seed 114): the primary crashed and restarted within the detection window;
   * it answered 200 again, but fenced, so the detector never declared it down and no site took
   * writes for the rest of the run.
   */
  @Test
  void aPrimaryThatRestartedFencedIsNotAlive() throws Exception {
    primary = new OrderSite("primary", Site.PRIMARY, tmp.resolve("p"), Clock.systemUTC()).start();
    OrderSite backup = new OrderSite("backup", Site.BACKUP, tmp.resolve("b"), Clock.systemUTC());
    router = new Router(Clock.systemUTC(), Duration.ofSeconds(2));
    OrderTopology topology = new OrderTopology() {
      @Override
      public OrderSite site(Site site) {
        return site == Site.PRIMARY ? primary : backup;
      }

      @Override
      public Router router() {
        return router;
      }
    };
    HealthCheck alive = OrderChecks.siteAlive(topology);
    CheckContext ctx = new CheckContext("orders", Site.PRIMARY, 1, Duration.ofSeconds(5));
    primary.promote(1);
    assertThat(alive.check(ctx).healthy()).isTrue();

    primary.kill();
    primary.start(); // back within the detection window, fenced
    assertThat(primary.role()).isEqualTo(SiteRole.FENCED);
    HealthResult r = alive.check(ctx);
    assertThat(r.healthy()).isFalse();
    assertThat(r.detail()).contains("FENCED").contains("takes no writes");
  }

  @Test
  void aDeadPrimaryIsNotAlive() throws Exception {
    primary = new OrderSite("primary", Site.PRIMARY, tmp.resolve("p"), Clock.systemUTC()).start();
    primary.promote(1);
    HealthCheck alive = OrderChecks.servesAsPrimary(site -> primary.lastUri());
    primary.kill();
    boolean healthy;
    try {
      healthy = alive.check(new CheckContext("orders", Site.PRIMARY, 1, Duration.ofSeconds(5))).healthy();
    } catch (IOException e) {
      healthy = false;
    }
    assertThat(healthy).isFalse();
  }
}
