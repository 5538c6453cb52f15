package dev.drkit.examples.orders;

import dev.drkit.core.EventBus;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.Site;
import dev.drkit.testkit.FailoverActionsContract;
import dev.drkit.testkit.FakeClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example's OrderFailoverActions (the class users copy) passes the FailoverActions contract over
 * two real H2 sites, the HTTP router and log-shipping replication, set up as the drill sets them up.
 * A site accepts writes while its role is {@link SiteRole#PRIMARY}; the traffic goes where the
 * router's route points.
 */
class OrderFailoverActionsContractTest extends FailoverActionsContract {
  @TempDir
  Path dir;

  private OrderSite primary;
  private OrderSite backup;
  private Router router;
  private LogShippingReplication replication;

  @Override
  protected FailoverActions createActions() throws Exception {
    FakeClock clock = new FakeClock();
    EventBus bus = new EventBus();
    primary = new OrderSite("primary", Site.PRIMARY, dir.resolve("primary"), clock).start();
    backup = new OrderSite("backup", Site.BACKUP, dir.resolve("backup"), clock).start();
    router = new Router(clock, Duration.ofSeconds(2));
    replication = new LogShippingReplication(service(), false, bus, clock);
    long epoch = initialEpoch();
    replication.ship(primary, epoch);
    primary.promote(epoch);
    backup.demote(epoch);
    replication.attach(backup, epoch);
    router.switchTo(primary, epoch);
    return new OrderFailoverActions(primary, backup, router, replication, bus, clock, Duration.ofSeconds(30));
  }

  @Override
  protected boolean acceptsWrites(Site site) {
    return (site == Site.PRIMARY ? primary : backup).role() == SiteRole.PRIMARY;
  }

  @Override
  protected Optional<Site> trafficGoesTo() {
    return router.route().map(r -> r.siteName().equals(primary.name()) ? Site.PRIMARY : Site.BACKUP);
  }

  @Override
  protected void release() throws Exception {
    replication.close();
    router.close();
    primary.close();
    backup.close();
  }
}
