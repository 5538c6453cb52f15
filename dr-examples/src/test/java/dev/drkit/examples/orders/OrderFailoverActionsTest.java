package dev.drkit.examples.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.drkit.core.EventBus;
import dev.drkit.core.spi.Site;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrderFailoverActionsTest {
  @TempDir Path tmp;
  private OrderSite primary;
  private OrderSite backup;
  private Router router;
  private LogShippingReplication repl;

  @AfterEach
  void tearDown() {
    if (backup != null) {
      backup.resume();
    }
    if (repl != null) {
      repl.close();
    }
    if (router != null) {
      router.close();
    }
    if (primary != null) {
      primary.stop();
    }
    if (backup != null) {
      backup.stop();
    }
  }

  /**
   * Found by the soak (seed 106): a sync write waiting for a replica that does not answer holds
   * the primary, and the fence used to wait for it as long as the replica stayed silent, so the
   * failover hung with the router already fenced and no site serving.
   */
  @Test
  void fenceOfAPrimaryWhoseWritesWaitForASilentReplicaFailsThoseWritesInsteadOfWaitingForever() throws Exception {
    primary = new OrderSite("primary", Site.PRIMARY, tmp.resolve("p"), Clock.systemUTC()).start();
    backup = new OrderSite("backup", Site.BACKUP, tmp.resolve("b"), Clock.systemUTC()).start();
    router = new Router(Clock.systemUTC(), Duration.ofSeconds(2));
    repl = new LogShippingReplication("orders", true, new EventBus(), Clock.systemUTC());
    repl.ship(primary, 1);
    primary.promote(1);
    backup.demote(1);
    repl.attach(backup, 1);
    router.switchTo(primary, 1);
    primary.accept("before", "c", 1, null);
    OrderFailoverActions actions = new OrderFailoverActions(primary, backup, router, repl, new EventBus(),
        Clock.systemUTC(), Duration.ofMillis(200), Duration.ofSeconds(5));

    backup.pause(); // the replica stops answering: the next sync write waits for its ack
    CompletableFuture<Order> inFlight = CompletableFuture.supplyAsync(() -> primary.accept("stuck", "c", 2, null));
    await("the write is committed locally").atMost(Duration.ofSeconds(60))
        .until(() -> primary.orderIds().contains("stuck"));
    assertThat(primary.orderIds()).contains("stuck"); // committed locally, waiting for the replica

    CompletableFuture<Void> fence = CompletableFuture.runAsync(() -> {
      try {
        actions.fence("orders", Site.PRIMARY, 2);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    fence.get(60, TimeUnit.SECONDS);

    assertThat(primary.role()).isEqualTo(SiteRole.FENCED);
    assertThat(primary.epoch()).isEqualTo(2);
    assertThat(router.route()).isEmpty();
    // The write that was in flight is refused, never acknowledged.
    assertThatThrownBy(() -> inFlight.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(SiteUnavailableException.class);
  }

  @Test
  void aLateActionAtAnOlderEpochIsRefusedBeforeItTouchesAnything() throws Exception {
    primary = new OrderSite("primary", Site.PRIMARY, tmp.resolve("p"), Clock.systemUTC()).start();
    backup = new OrderSite("backup", Site.BACKUP, tmp.resolve("b"), Clock.systemUTC()).start();
    router = new Router(Clock.systemUTC(), Duration.ofSeconds(2));
    repl = new LogShippingReplication("orders", true, new EventBus(), Clock.systemUTC());
    repl.ship(primary, 1);
    primary.promote(1);
    backup.demote(1);
    repl.attach(backup, 1);
    router.switchTo(primary, 1);
    OrderFailoverActions actions = new OrderFailoverActions(primary, backup, router, repl, new EventBus(),
        Clock.systemUTC(), Duration.ofSeconds(1), Duration.ofSeconds(5));
    // A new leader fails over at epoch 3 ...
    actions.fence("orders", Site.PRIMARY, 3);
    actions.promote("orders", Site.BACKUP, 3);
    actions.redirect("orders", Site.BACKUP, 3);
    backup.accept("on-backup", "c", 1, null);
    // ... then the paused old leader's promote of epoch 2 arrives: refused, replication untouched.
    assertThatThrownBy(() -> actions.promote("orders", Site.PRIMARY, 2))
        .isInstanceOf(dev.drkit.core.StaleEpochException.class);
    assertThatThrownBy(() -> actions.resync("orders", Site.PRIMARY, Site.BACKUP, 2))
        .isInstanceOf(dev.drkit.core.StaleEpochException.class);
    assertThat(primary.role()).isEqualTo(SiteRole.FENCED);
    assertThat(backup.role()).isEqualTo(SiteRole.PRIMARY);
    backup.accept("still-on-backup", "c", 2, null);
    assertThat(backup.orderIds()).contains("on-backup", "still-on-backup");
    assertThat(router.route()).hasValueSatisfying(r -> assertThat(r.siteName()).isEqualTo("backup"));
    // Replication still ships from the backup: the old primary follows it again and gets every write.
    actions.resync("orders", Site.PRIMARY, Site.BACKUP, 3);
    backup.accept("after-resync", "c", 3, null);
    assertThat(primary.orderIds()).contains("on-backup", "still-on-backup", "after-resync");
  }
}
