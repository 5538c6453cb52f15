package dev.drkit.replication;

import dev.drkit.core.EventBus;
import dev.drkit.replication.testing.ListSink;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.Site;
import dev.drkit.testkit.FailoverActionsContract;
import dev.drkit.testkit.InMemoryFailoverActions;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;

/**
 * ReplicationFailoverActions passes the FailoverActions contract over two real replication logs and
 * the in-process transport. A site accepts writes while it has a replication primary; the router is
 * the host's: the test kit's reference double, to which redirect (and every other call) is handed on.
 */
class ReplicationFailoverActionsContractTest extends FailoverActionsContract {
  @TempDir
  Path dir;

  private ReplicationLog primaryLog;
  private ReplicationLog backupLog;
  private InMemoryFailoverActions host;
  private ReplicationFailoverActions replication;

  @Override
  protected FailoverActions createActions() {
    EventBus bus = new EventBus();
    InProcessTransport transport = new InProcessTransport();
    primaryLog = ReplicationLog.open(dir.resolve("p"), LogConfig.builder(service()).eventBus(bus).build());
    backupLog = ReplicationLog.open(dir.resolve("b"), LogConfig.builder(service()).eventBus(bus).build());
    host = new InMemoryFailoverActions(service(), initialEpoch());
    replication = ReplicationFailoverActions.builder(service()).mode(ReplicationMode.async()).eventBus(bus).host(host)
        .site(Site.PRIMARY, new ReplicationFailoverActions.SiteHandle(primaryLog, new ListSink(), transport))
        .site(Site.BACKUP, new ReplicationFailoverActions.SiteHandle(backupLog, new ListSink(), transport)).build();
    replication.start(Site.PRIMARY, initialEpoch());
    return replication;
  }

  @Override
  protected boolean acceptsWrites(Site site) {
    return replication.primary(site) != null;
  }

  @Override
  protected Optional<Site> trafficGoesTo() {
    return Optional.of(host.trafficTarget());
  }

  @Override
  protected void release() {
    replication.close();
    primaryLog.close();
    backupLog.close();
  }
}
