package dev.drkit.benchmarks.core;

import dev.drkit.core.EventBus;
import dev.drkit.core.FailoverState;
import dev.drkit.core.HealthVerdict;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.failover.Trigger;
import dev.drkit.core.failover.TransitionTable;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.core.spi.ServiceState;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * One failover state transition with the in-memory store: validated against the transition table,
 * persisted with compare-and-set, swapped in, and published (to an event bus with one listener).
 * {@code transition} alternates PRIMARY_ACTIVE -> PRIMARY_DEGRADED -> PRIMARY_ACTIVE through
 * verdicts, two transitions per invocation. The other two benchmarks isolate the table lookup and
 * the store's compare-and-set. Target: median of {@code transition} under 2 microseconds.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar TransitionBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TransitionBenchmark {
  private FailoverEngine engine;
  private InMemoryStateStore store;
  private ServiceState casState;
  private long casVersion;
  private long events;

  /** Builds an engine in PRIMARY_ACTIVE on a fresh in-memory store. */
  @Setup(Level.Trial)
  public void setUp() throws InterruptedException {
    RecoveryConfig config = RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(1)).rto(Duration.ofMinutes(10))
        .build();
    LocalCoordinator coordinator = new LocalCoordinator();
    coordinator.awaitLeadership(Duration.ZERO);
    engine = FailoverEngine.builder(config).stateStore(new InMemoryStateStore()).actions(NoFailoverActions.INSTANCE)
        .coordinator(coordinator).eventBus(EventBus.of(e -> events++)).build();
    store = new InMemoryStateStore();
    casState = ServiceState.initial("orders", Instant.EPOCH);
    casVersion = store.compareAndSet("orders", 0, casState);
  }

  /**
   * @param bh sink
   */
  @Benchmark
  @OperationsPerInvocation(2)
  public void transition(Blackhole bh) {
    bh.consume(engine.onVerdict(HealthVerdict.SUSPECT, "bench"));
    bh.consume(engine.onVerdict(HealthVerdict.HEALTHY, "bench"));
  }

  /** @return the table's answer for one lookup */
  @Benchmark
  public Object tableLookup() {
    return TransitionTable.lookup(FailoverState.PRIMARY_DEGRADED, Trigger.FAILOVER);
  }

  /** @return the new version after one compare-and-set on the in-memory store */
  @Benchmark
  public long storeCompareAndSet() {
    casVersion = store.compareAndSet("orders", casVersion, casState);
    return casVersion;
  }
}
