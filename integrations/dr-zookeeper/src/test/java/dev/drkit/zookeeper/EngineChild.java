package dev.drkit.zookeeper;

import dev.drkit.core.LeadershipLostException;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.StaleEpochException;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.Lease;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One drkit instance in its own JVM, for {@link PausedLeaderProcessTest}: joins the election on
 * ZooKeeper, and once it leads, runs the failover engine on the {@link ZooKeeperStateStore} fenced
 * by its lease, as docs/multi-site.md shows: it fails over if the service is still on the primary,
 * and otherwise resumes whatever phase the store holds. Its {@link FailoverActions} send every
 * action to the test's site double over loopback ({@code ENTER} first, then {@code ACT} once the
 * double says {@code GO}), and report on stdout: {@code LEADER <token>}, then {@code DONE <state>
 * <epoch>}, {@code LOST <message>} or {@code STALE <message>}. It then stays up until killed.
 *
 * <p>Arguments: ZooKeeper connect string, election group, instance name, site double port.
 */
public final class EngineChild {
  private EngineChild() {}

  /** The actions, as messages to the site double; a refusal there is a {@link StaleEpochException}. */
  static final class RemoteActions implements FailoverActions {
    private final String instance;
    private final BufferedReader in;
    private final Writer out;

    RemoteActions(String instance, Socket socket) throws IOException {
      this.instance = instance;
      this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      this.out = new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.UTF_8);
    }

    private synchronized void act(String op, Site site, long epoch) throws IOException {
      String what = instance + " " + op + " " + site + " " + epoch;
      out.write("ENTER " + what + "\n");
      out.flush();
      expect("GO");
      out.write("ACT " + what + "\n");
      out.flush();
      String reply = expect(null);
      if (reply.startsWith("STALE ")) {
        throw new StaleEpochException(site + " (" + op + ")", epoch, Long.parseLong(reply.substring(6).trim()));
      }
      if (!reply.equals("OK")) {
        throw new IOException("site double answered " + reply + " to " + what);
      }
    }

    private String expect(String exact) throws IOException {
      String line = in.readLine();
      if (line == null || (exact != null && !line.equals(exact))) {
        throw new IOException("site double answered " + line + ", expected " + exact);
      }
      return line;
    }

    @Override
    public void fence(String service, Site site, long epoch) throws Exception {
      act("fence", site, epoch);
    }

    @Override
    public void promote(String service, Site site, long epoch) throws Exception {
      act("promote", site, epoch);
    }

    @Override
    public void redirect(String service, Site site, long epoch) throws Exception {
      act("redirect", site, epoch);
    }

    @Override
    public void resync(String service, Site target, Site source, long epoch) throws Exception {
      act("resync", target, epoch);
    }

    @Override
    public void demote(String service, Site site, long epoch) throws Exception {
      act("demote", site, epoch);
    }
  }

  /**
   * @param args connect string, group, instance name, site double port
   * @throws Exception on setup failures (the test sees the process end)
   */
  public static void main(String[] args) throws Exception {
    String connect = args[0];
    String group = args[1];
    String instance = args[2];
    int port = Integer.parseInt(args[3]);
    PrintWriter stdout = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
    RecoveryConfig config = RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(1)).rto(Duration.ofMinutes(1))
        .build();
    try (ZooKeeperCoordinator coordinator = ZooKeeperCoordinator.builder(connect).group(group)
            .participantId(instance).sessionTimeout(Duration.ofSeconds(2)).build().start();
         ZooKeeperStateStore states = ZooKeeperStateStore.create(coordinator.client(), "/drkit-" + group);
         Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      stdout.println("READY");
      Lease lease = coordinator.awaitLeadership(Duration.ofMinutes(5)).orElseThrow();
      stdout.println("LEADER " + lease.token());
      FailoverEngine engine = FailoverEngine.builder(config).stateStore(states.fencedBy((ZooKeeperLease) lease))
          .actions(new RemoteActions(instance, socket)).coordinator(coordinator).retries(2, Duration.ZERO).build();
      try {
        ServiceState s = engine.reload();
        ServiceState end = s.state() == dev.drkit.core.FailoverState.PRIMARY_ACTIVE
            ? engine.forceFailover(instance, "the primary is lost") : engine.resume();
        stdout.println("DONE " + end.state() + " " + end.epoch());
      } catch (LeadershipLostException e) {
        stdout.println("LOST " + e.getMessage().replace('\n', ' '));
      } catch (StaleEpochException e) {
        stdout.println("STALE " + e.getMessage().replace('\n', ' '));
      }
      // Stay up (holding or having lost the lease) until the test kills this process.
      new java.util.concurrent.CountDownLatch(1).await();
    }
  }
}
