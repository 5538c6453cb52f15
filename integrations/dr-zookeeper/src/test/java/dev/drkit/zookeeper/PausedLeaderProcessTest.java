package dev.drkit.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.FailoverState;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.test.TestingServer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 12, finding 5, with real processes: three engines ({@link EngineChild}), each in its own
 * JVM, on one in-process ZooKeeper with {@link ZooKeeperCoordinator} and the
 * {@link ZooKeeperStateStore} fenced by the lease. The leader is stopped with SIGSTOP while its
 * {@code promote} is in flight; its session expires, another process takes the lease, resumes the
 * phase from ZooKeeper and finishes it; then the old leader gets SIGCONT and its in-flight promote
 * reaches the sites. The site double (a loopback server here, keeping the newest epoch each
 * receiver has seen, like the example's sites and router) must refuse it: the new leader acted at
 * a newer epoch. Waits are latches and queues with generous bounds; nothing is timed.
 */
@Tag("integration")
class PausedLeaderProcessTest {
  private static final long BOUND_S = 60;

  /** The sites and the router as receivers: each refuses epochs older than the newest it saw. */
  static final class SiteDouble implements AutoCloseable {
    record Action(String instance, String op, Site site, long epoch, boolean accepted) {}

    private final ServerSocket server;
    private final Map<Site, Long> newest = new EnumMap<>(Map.of(Site.PRIMARY, 1L, Site.BACKUP, 0L));
    private final Map<Site, Long> promotedAt = new EnumMap<>(Map.of(Site.PRIMARY, 1L, Site.BACKUP, 0L));
    private long routerEpoch = 1;
    private Site routedTo = Site.PRIMARY;
    final List<Action> log = new CopyOnWriteArrayList<>();
    /** Completed with the instance whose promote entered first; its GO is held until {@link #release}. */
    final CompletableFuture<String> heldPromote = new CompletableFuture<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    SiteDouble() throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread t = new Thread(this::accept, "site-double");
      t.setDaemon(true);
      t.start();
    }

    int port() {
      return server.getLocalPort();
    }

    void release() {
      release.countDown();
    }

    private void accept() {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          sockets.add(s);
          Thread t = new Thread(() -> serve(s), "site-double-conn");
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    }

    private void serve(Socket s) {
      try (s; BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
          StandardCharsets.UTF_8)); Writer out = new OutputStreamWriter(s.getOutputStream(), StandardCharsets.UTF_8)) {
        String line;
        while ((line = in.readLine()) != null) {
          String[] f = line.split(" ");
          String instance = f[1];
          String op = f[2];
          Site site = Site.valueOf(f[3]);
          long epoch = Long.parseLong(f[4]);
          if (f[0].equals("ENTER")) {
            if (op.equals("promote") && heldPromote.complete(instance)) {
              // The action is in flight: the test stops this process now, and lets it go on later.
              if (!release.await(BOUND_S * 4, TimeUnit.SECONDS)) {
                return;
              }
            }
            out.write("GO\n");
          } else {
            out.write(apply(instance, op, site, epoch) + "\n");
          }
          out.flush();
        }
      } catch (IOException | InterruptedException e) {
        // the child was killed at the end of the test
      }
    }

    private synchronized String apply(String instance, String op, Site site, long epoch) {
      long seen = op.equals("redirect") ? routerEpoch : newest.get(site);
      if (epoch < seen) {
        log.add(new Action(instance, op, site, epoch, false));
        return "STALE " + seen;
      }
      if (op.equals("redirect")) {
        routerEpoch = epoch;
        routedTo = site;
      } else {
        newest.put(site, epoch);
        if (op.equals("promote")) {
          promotedAt.put(site, epoch);
        }
      }
      log.add(new Action(instance, op, site, epoch, true));
      return "OK";
    }

    synchronized Site routedTo() {
      return routedTo;
    }

    synchronized long routerEpoch() {
      return routerEpoch;
    }

    synchronized long promotedAt(Site s) {
      return promotedAt.get(s);
    }

    @Override
    public void close() throws IOException {
      release.countDown();
      server.close();
      for (Socket s : sockets) {
        s.close();
      }
    }
  }

  /** A child JVM and the lines it printed. */
  record Child(String name, Process process, BlockingQueue<String> lines) {
    String next(String... prefixes) throws InterruptedException {
      while (true) {
        String l = lines.poll(BOUND_S, TimeUnit.SECONDS);
        assertThat(l).as("%s printed a line starting with one of %s within %d s", name, List.of(prefixes), BOUND_S)
            .isNotNull();
        for (String p : prefixes) {
          if (l.startsWith(p)) {
            return l;
          }
        }
      }
    }

    void signal(String sig) throws Exception {
      Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start();
      assertThat(kill.waitFor(BOUND_S, TimeUnit.SECONDS)).isTrue();
      assertThat(kill.exitValue()).as("kill -%s %s", sig, name).isZero();
    }
  }

  private static Child start(String name, String connect, String group, int port, Path logs) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-Xshare:off", "-Xmx128m", "-cp", System.getProperty("java.class.path"),
        EngineChild.class.getName(), connect, group, name, Integer.toString(port))
        .redirectError(ProcessBuilder.Redirect.appendTo(logs.resolve(name + ".err").toFile())).start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String l;
        while ((l = r.readLine()) != null) {
          lines.add(l);
        }
      } catch (IOException e) {
        lines.add("EXIT " + e);
      }
    }, "child-" + name);
    reader.setDaemon(true);
    reader.start();
    return new Child(name, p, lines);
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void aStoppedLeadersInFlightPromoteIsRefusedAfterTheNextLeaderFinishedAtANewerEpoch() throws Exception {
    Path logs = Files.createDirectories(Path.of("target", "paused-leader"));
    String group = ZkTesting.uniqueGroup();
    Map<String, Child> children = new HashMap<>();
    try (TestingServer zk = ZkTesting.startServer(); SiteDouble sites = new SiteDouble()) {
      for (String name : List.of("n1", "n2", "n3")) {
        children.put(name, start(name, zk.getConnectString(), group, sites.port(), logs));
      }
      for (Child c : children.values()) {
        c.next("READY");
      }
      // The leader fences the primary at epoch 2 and enters promote: stop its process there.
      String first = sites.heldPromote.get(BOUND_S, TimeUnit.SECONDS);
      Child paused = children.get(first);
      paused.signal("STOP");
      try {
        // Its session expires; another process leads, re-assigns the phase at a new epoch and finishes it.
        List<Child> others = new ArrayList<>(children.values());
        others.remove(paused);
        AtomicReference<String> done = new AtomicReference<>();
        Awaitility.await("a successor finished the failover").atMost(Duration.ofSeconds(BOUND_S))
            .pollInterval(Duration.ofMillis(50)).until(() -> {
              for (Child c : others) {
                for (String l = c.lines.poll(); l != null; l = c.lines.poll()) {
                  if (l.startsWith("DONE")) {
                    done.set(l);
                  }
                }
              }
              return done.get() != null;
            });
        assertThat(done.get()).isEqualTo("DONE BACKUP_ACTIVE 3");
      } finally {
        paused.signal("CONT");
      }
      // Now the stopped leader's in-flight promote (epoch 2) reaches the sites.
      sites.release();
      // Its late action is refused; its next step finds its term over (or its state write is
      // refused by ZooKeeper, should it get that far): it stops without acting again.
      String outcome = paused.next("LOST", "STALE", "DONE");
      assertThat(outcome).as("the old leader stops at its next step").doesNotStartWith("DONE");

      List<SiteDouble.Action> byOld = sites.log.stream().filter(a -> a.instance().equals(first)).toList();
      assertThat(byOld).as("the old leader's actions").containsExactly(
          new SiteDouble.Action(first, "fence", Site.PRIMARY, 2, true),
          new SiteDouble.Action(first, "promote", Site.BACKUP, 2, false));
      assertThat(sites.log).filteredOn(a -> !a.instance().equals(first)).as("the new leader's actions")
          .extracting(SiteDouble.Action::op, SiteDouble.Action::site, SiteDouble.Action::epoch,
              SiteDouble.Action::accepted)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("fence", Site.PRIMARY, 3L, true),
              org.assertj.core.groups.Tuple.tuple("promote", Site.BACKUP, 3L, true),
              org.assertj.core.groups.Tuple.tuple("redirect", Site.BACKUP, 3L, true));
      assertThat(sites.routedTo()).isEqualTo(Site.BACKUP);
      assertThat(sites.routerEpoch()).isEqualTo(3);
      assertThat(sites.promotedAt(Site.BACKUP)).as("the serving site has the newest epoch").isEqualTo(3);

      try (ZooKeeperStateStore states = ZooKeeperStateStore.connect(zk.getConnectString(), "/drkit-" + group,
          Duration.ofSeconds(10))) {
        ServiceState s = states.load("orders").orElseThrow().value();
        assertThat(s.state()).isEqualTo(FailoverState.BACKUP_ACTIVE);
        assertThat(s.epoch()).isEqualTo(3);
        assertThat(s.activeSite()).isEqualTo(Site.BACKUP);
      }
    } finally {
      for (Child c : children.values()) {
        c.process().destroyForcibly();
        c.process().waitFor(BOUND_S, TimeUnit.SECONDS);
      }
    }
  }
}
