package dev.drkit.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.drkit.backup.BackupRequest;
import dev.drkit.backup.FileTreeSource;
import dev.drkit.backup.InMemoryBlobStore;
import dev.drkit.backup.Repository;
import dev.drkit.backup.RepositoryOptions;
import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.EventBus;
import dev.drkit.core.FailoverState;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.config.ValidationStep;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.failover.PhaseRecord;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.replication.LagBounds;
import dev.drkit.replication.LagTracker;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.core.spi.Site;
import dev.drkit.testkit.FakeClock;
import dev.drkit.validation.CheckRegistry;
import dev.drkit.validation.StepRunner;
import dev.drkit.validation.Validator;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.replication.PeerRefusal;
import dev.drkit.replication.ReplicationKeys;
import dev.drkit.replication.TcpTransport;
import dev.drkit.replication.spi.ReplicationEndpoint;
import dev.drkit.replication.spi.ReplicationAck;
import dev.drkit.replication.spi.ReplicationBatch;
import dev.drkit.replication.spi.ReplicationHandshake;
import io.micrometer.core.instrument.Tag;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real engine fails a service over and back (in-memory state store, LocalCoordinator, scripted
 * actions that take a known time on a fake clock, dr-validation running a registered check), a real
 * repository backs up, and a real lag tracker lags, while the binder feeds a real SimpleMeterRegistry.
 */
class DrkitMetricsTest {
  /** Each action takes a scripted time on the fake clock and succeeds. */
  static final class ScriptedSites implements FailoverActions {
    final FakeClock clock;
    final List<String> calls = new CopyOnWriteArrayList<>();
    final Map<String, Duration> takes = Map.of("fence", Duration.ofSeconds(2), "promote", Duration.ofSeconds(3),
        "redirect", Duration.ofSeconds(1), "resync", Duration.ofSeconds(20));

    ScriptedSites(FakeClock clock) {
      this.clock = clock;
    }

    private void act(String what, Site site, long epoch) {
      clock.advance(takes.get(what));
      calls.add(what + " " + site + " @" + epoch);
    }

    @Override
    public void fence(String service, Site site, long epoch) {
      act("fence", site, epoch);
    }

    @Override
    public void promote(String service, Site site, long epoch) {
      act("promote", site, epoch);
    }

    @Override
    public void redirect(String service, Site site, long epoch) {
      act("redirect", site, epoch);
    }

    @Override
    public void resync(String service, Site target, Site source, long epoch) {
      act("resync", target, epoch);
    }
  }

  private final FakeClock clock = new FakeClock(Instant.parse("2026-06-01T12:00:00Z"));
  private final EventBus bus = new EventBus();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private double gauge(String name, String... tags) {
    return registry.get(name).tags(tags).gauge().value();
  }

  private Timer timer(String name, String... tags) {
    return registry.get(name).tags(tags).timer();
  }

  @Test
  void aFailoverAndFailbackShowUpInTheMeters() throws Exception {
    CheckRegistry checks = CheckRegistry.withBuiltIns().registerCheck("orders-ready", ctx -> {
      clock.advance(Duration.ofMillis(250));
      return HealthResult.healthy("ready on " + ctx.site());
    });
    RecoveryConfig config = RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(5)).rto(Duration.ofMinutes(30))
        .validation(ValidationStep.allOf("ready", Duration.ofMinutes(1), CheckSpec.of("orders-ready"))).build();
    Validator validator = Validator.builder(checks).clock(clock).nanoTime(clock::nanoTime).eventBus(bus)
        .runner(r -> r.clock(clock).nanoTime(clock::nanoTime).retryPolicy(StepRunner.noRetries()).eventBus(bus)).build();
    LagTracker lag = new LagTracker("orders", Site.BACKUP, clock, bus, LagBounds.unbounded());
    ScriptedSites sites = new ScriptedSites(clock);
    LocalCoordinator coordinator = new LocalCoordinator();
    coordinator.awaitLeadership(Duration.ZERO);

    DrkitMetrics metrics = DrkitMetrics.of(bus, Tags.of("app", "shop"));
    metrics.bindTo(registry);
    FailoverEngine engine = FailoverEngine.builder(config).stateStore(new InMemoryStateStore()).actions(sites)
        .coordinator(coordinator).validator(validator).dataLossEstimator(lag).eventBus(bus).clock(clock)
        .nanoTime(clock::nanoTime).sleeper(clock::advance).build();
    metrics.engine(engine).replicationLag("orders", lag).rpoEstimate("orders", Site.BACKUP, lag);

    // before: primary active, objectives and lag as configured
    assertThat(gauge("drkit.service.state", "service", "orders", "state", "PRIMARY_ACTIVE", "app", "shop")).isEqualTo(1);
    assertThat(gauge("drkit.service.state", "service", "orders", "state", "BACKUP_ACTIVE")).isZero();
    assertThat(registry.get("drkit.rpo.objective").tags("service", "orders").timeGauge().value(TimeUnit.MINUTES))
        .isEqualTo(5);
    lag.committed(0, 100, clock.millis());
    lag.committed(1, 150, clock.millis());
    clock.advance(Duration.ofMillis(1500));
    assertThat(gauge("drkit.replication.lag.records", "service", "orders")).isEqualTo(2);
    assertThat(gauge("drkit.replication.lag.bytes", "service", "orders")).isEqualTo(250);
    assertThat(registry.get("drkit.replication.lag.time").tags("service", "orders").timeGauge()
        .value(TimeUnit.MILLISECONDS)).isEqualTo(1500);
    assertThat(registry.get("drkit.rpo.estimate").tags("service", "orders", "site", "backup").timeGauge()
        .value(TimeUnit.MILLISECONDS)).isEqualTo(1500);
    lag.acknowledged(1);
    assertThat(gauge("drkit.replication.lag.records", "service", "orders")).isZero();

    engine.failover("ops", "primary site lost");

    assertThat(sites.calls).containsExactly("fence PRIMARY @2", "promote BACKUP @2", "redirect BACKUP @2");
    assertThat(gauge("drkit.service.state", "service", "orders", "state", "BACKUP_ACTIVE")).isEqualTo(1);
    assertThat(gauge("drkit.service.state", "service", "orders", "state", "PRIMARY_ACTIVE")).isZero();
    assertThat(gauge("drkit.service.epoch", "service", "orders")).isEqualTo(2);
    assertThat(registry.get("drkit.failover.transitions").tags("service", "orders", "from", "FAILING_OVER",
        "to", "VALIDATING").counter().count()).isEqualTo(1);
    Timer failingOver = timer("drkit.failover.phase.duration", "service", "orders", "phase", "FAILING_OVER",
        "outcome", "VALIDATING", "app", "shop");
    assertThat(failingOver.count()).isEqualTo(1);
    assertThat(failingOver.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(6000);
    Timer validating = timer("drkit.failover.phase.duration", "service", "orders", "phase", "VALIDATING",
        "outcome", "BACKUP_ACTIVE");
    assertThat(validating.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(250);
    Timer check = timer("drkit.validation.check.duration", "service", "orders", "step", "ready",
        "check", "orders-ready", "site", "backup", "status", "PASSED");
    assertThat(check.count()).isEqualTo(1);
    assertThat(check.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(250);
    assertThat(timer("drkit.validation.step.duration", "service", "orders", "step", "ready", "site", "backup",
        "result", "passed").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(250);

    engine.failback("ops", "primary repaired");

    assertThat(engine.state().state()).isEqualTo(FailoverState.PRIMARY_ACTIVE);
    assertThat(gauge("drkit.service.state", "service", "orders", "state", "PRIMARY_ACTIVE")).isEqualTo(1);
    assertThat(gauge("drkit.service.epoch", "service", "orders")).isEqualTo(engine.state().epoch());
    PhaseRecord failback = engine.phaseHistory().stream().filter(p -> p.phase() == FailoverState.FAILING_BACK)
        .findFirst().orElseThrow();
    assertThat(failback.duration()).isGreaterThanOrEqualTo(Duration.ofSeconds(20)); // the scripted resync
    assertThat(registry.find("drkit.failover.phase.duration").tags("service", "orders", "phase", "FAILING_BACK")
        .timers()).singleElement().satisfies(t -> {
          assertThat(t.count()).isEqualTo(1);
          assertThat(t.totalTime(TimeUnit.MILLISECONDS)).isEqualTo((double) failback.duration().toMillis());
        });
    assertThat(registry.get("drkit.failover.transitions").tags("service", "orders").counters())
        .allSatisfy(c -> assertThat(c.getId().getTag("app")).isEqualTo("shop"));
    metrics.close();
  }

  @Test
  void aBackupShowsItsSizeDurationAndLastSuccess(@TempDir Path tmp) throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.write(src.resolve("a.bin"), new byte[12_345]);
    DrkitMetrics metrics = DrkitMetrics.of(bus);
    metrics.bindTo(registry);
    try (Repository repo = Repository.init(new InMemoryBlobStore(), EncryptionConfig.none(), null,
        RepositoryOptions.builder().clock(clock).eventBus(bus).build())) {
      repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      String id = repo.id().substring(0, 8);
      assertThat(registry.get("drkit.backup.size").tags("repository", id, "type", "full").summary().totalAmount())
          .isEqualTo(12_345);
      assertThat(registry.get("drkit.backup.stored").tags("repository", id).summary().count()).isEqualTo(1);
      assertThat(registry.get("drkit.backup.duration").tags("repository", id).timer().count()).isEqualTo(1);
      assertThat(gauge("drkit.backup.last.success", "repository", id))
          .isCloseTo(clock.instant().toEpochMilli() / 1000.0, within(0.001));
    }
    metrics.close();
  }

  @Test
  void aRegistryBoundLaterGetsTheGaugesAndAClosedBinderStopsCounting() {
    DrkitMetrics metrics = DrkitMetrics.of(bus);
    LagTracker lag = new LagTracker("orders", Site.BACKUP, clock, bus, LagBounds.ofAge(Duration.ofSeconds(1)));
    metrics.replicationLag("orders", lag);
    SimpleMeterRegistry late = new SimpleMeterRegistry();
    metrics.bindTo(late);
    lag.committed(0, 10, clock.millis());
    clock.advance(Duration.ofSeconds(5));
    lag.check();
    assertThat(late.get("drkit.replication.lag.records").tags("service", "orders").gauge().value()).isEqualTo(1);
    assertThat(late.get("drkit.replication.lag.exceeded").tags("service", "orders").counter().count()).isEqualTo(1);
    metrics.close();
    lag.acknowledged(0);
    lag.committed(1, 10, clock.millis());
    clock.advance(Duration.ofSeconds(5));
    lag.check();
    assertThat(late.get("drkit.replication.lag.exceeded").tags("service", "orders").counter().count()).isEqualTo(1);
  }

  /** Never reached: every peer in these tests is refused before it names a service. */
  static final class Unreachable implements ReplicationEndpoint {
    @Override
    public ReplicationHandshake handshake(String service, long epoch) {
      throw new AssertionError("no peer gets this far");
    }

    @Override
    public void receive(ReplicationBatch batch) {
      throw new AssertionError("no peer gets this far");
    }

    @Override
    public ReplicationAck acknowledge() {
      throw new AssertionError("no peer gets this far");
    }

    @Override
    public void heartbeat(long epoch, long primaryNextOffset, long primaryTimeMillis) {
      throw new AssertionError("no peer gets this far");
    }
  }

  /** Connects, sends {@code bytes} and reads until the backup ends its side (it reports the refusal before). */
  static void refusedAfter(int port, ByteBuffer bytes) throws Exception {
    try (SocketChannel ch = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
      while (bytes.hasRemaining()) {
        ch.write(bytes);
      }
      ByteBuffer sink = ByteBuffer.allocate(512);
      while (ch.read(sink.clear()) >= 0) {
        // the REJECT, then the end of the backup's output
      }
    }
  }

  /** A HELLO as docs/replication-protocol.md lays it out, announcing a version no backup speaks. */
  static ByteBuffer helloOfVersion99() {
    byte[] service = "orders".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(4 + 1 + 4 + 2 + 1 + 8 + 2 + service.length + 2);
    b.putInt(1 + 4 + 2 + 1 + 8 + 2 + service.length + 2).put((byte) 1) // length, type HELLO
        .putInt(0x44524B52).putShort((short) 99).put((byte) 0).putLong(1) // magic "DRKR", version, auth none, epoch
        .putShort((short) service.length).put(service).putShort((short) 0); // service, empty key id
    return b.flip();
  }

  @Test
  void refusedReplicationPeersAreCountedByReasonIncludingThoseOverTheEventLimits() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DrkitMetrics metrics = DrkitMetrics.of(bus, Tags.of("app", "shop"));
    metrics.bindTo(registry);
    List<DrEvent> published = new CopyOnWriteArrayList<>();
    bus.subscribe(PeerRefusal.TYPE, published::add);
    TcpTransport backup = TcpTransport.builder(TcpTransport.Config.listening(new InetSocketAddress(
            InetAddress.getLoopbackAddress(), 0)).withMaxConnections(100))
        .keys(ReplicationKeys.generate("k")).eventBus(bus).clock(clock)
        .refusalEventLimits(2, 50, Duration.ofMinutes(1)).build();
    try {
      backup.serve("orders", new Unreachable()); // ends with the transport
      for (int i = 0; i < 20; i++) { // a 64 MiB length before authentication: a protocol violation
        refusedAfter(backup.boundPort(), ByteBuffer.allocate(4).putInt(0, 64 << 20));
      }
      for (int i = 0; i < 3; i++) { // a HELLO of protocol version 99
        refusedAfter(backup.boundPort(), helloOfVersion99());
      }
      assertThat(published).as("the transport published 2, counted the rest").extracting(DrEvent::type)
          .containsExactly(PeerRefusal.TYPE, PeerRefusal.TYPE);
      assertThat(registry.get("drkit.replication.peer.refused").tags("reason", "PROTOCOL_VIOLATION").counter()
          .count()).as("before the window's summary").isEqualTo(2);
    } finally {
      backup.close(); // publishes the window's count of the refusals over the limits
    }
    assertThat(published).extracting(DrEvent::type).endsWith(PeerRefusal.SUPPRESSED_TYPE);
    assertThat(registry.get("drkit.replication.peer.refused").tags("app", "shop", "reason", "PROTOCOL_VIOLATION")
        .counter().count()).isEqualTo(20);
    assertThat(registry.get("drkit.replication.peer.refused").tags("reason", "UNSUPPORTED_VERSION").counter().count())
        .isEqualTo(3);
    assertThat(registry.find("drkit.replication.peer.refused").counters()).hasSize(2)
        .allSatisfy(c -> assertThat(c.getId().getTags()).extracting(Tag::getKey).containsExactlyInAnyOrder("app",
            "reason"));
    metrics.close();
  }

  @Test
  void aRefusalEventWithoutAKnownReasonCreatesNoMeter() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DrkitMetrics metrics = DrkitMetrics.of(bus);
    metrics.bindTo(registry);
    DrEvent good = new PeerRefusal("192.0.2.7", 4000, PeerRefusal.Reason.TLS_FAILED, "no certificate", null, false, 0)
        .toEvent(clock.instant());
    bus.publish(good);
    bus.publish(good.with("reason", "192.0.2.7")); // not a reason: logged and skipped, no meter per address
    bus.publish(new DrEvent(clock.instant(), PeerRefusal.SUPPRESSED_TYPE, DrEvent.Severity.WARN, null, 0, "m",
        Map.of("byReason", "TLS_FAILED=4, TIMEOUT=1", "suppressed", "5")));
    bus.publish(new DrEvent(clock.instant(), PeerRefusal.SUPPRESSED_TYPE, DrEvent.Severity.WARN, null, 0, "m",
        Map.of("byReason", "192.0.2.7=4")));
    assertThat(registry.find("drkit.replication.peer.refused").counters()).extracting(c -> c.getId().getTag("reason"))
        .containsExactlyInAnyOrder("TLS_FAILED", "TIMEOUT");
    assertThat(registry.get("drkit.replication.peer.refused").tags("reason", "TLS_FAILED").counter().count())
        .isEqualTo(5);
    assertThat(registry.get("drkit.replication.peer.refused").tags("reason", "TIMEOUT").counter().count())
        .isEqualTo(1);
    metrics.close();
  }
}
