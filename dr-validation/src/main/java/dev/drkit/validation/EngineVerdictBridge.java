package dev.drkit.validation;

import dev.drkit.core.HealthVerdict;
import dev.drkit.core.Subscription;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.internal.DrkitThreads;
import dev.drkit.core.spi.Site;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The built-in wiring of a {@link FailureDetector} to a {@link FailoverEngine}: a
 * {@link VerdictListener} that hands every verdict to {@link FailoverEngine#onVerdict} on an
 * {@link Executor}, never on the detector's probing thread (a DOWN verdict starts a whole failover,
 * which must not hold up the probes).
 *
 * <p>Verdicts are coalesced, the latest wins: while the engine is busy with one verdict (running a
 * failover, say), later verdicts are not queued one by one and not dropped; the newest of them is
 * delivered as soon as the engine returns. At most one task of a bridge runs at a time, so the
 * engine sees verdicts in the order the detector reached them. A verdict the engine cannot act on
 * because it does not lead is kept by the engine until it leads (see {@link FailoverEngine#start()}).
 *
 * <pre>{@code
 * FailoverEngine engine = FailoverEngine.builder(config)...build().start();
 * FailureDetector detector = FailureDetector.builder("orders", Site.PRIMARY, check, policy).build();
 * EngineVerdictBridge bridge = EngineVerdictBridge.connect(detector, engine); // own thread
 * detector.start();
 * ...
 * detector.close(); bridge.close(); engine.close();
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class EngineVerdictBridge implements VerdictListener, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EngineVerdictBridge.class);

  private final FailoverEngine engine;
  private final Executor executor;
  private final @Nullable ExecutorService owned;
  private final AtomicReference<@Nullable Pending> pending = new AtomicReference<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile @Nullable Subscription subscription;

  private record Pending(HealthVerdict verdict, String source) {}

  private EngineVerdictBridge(FailoverEngine engine, Executor executor, @Nullable ExecutorService owned) {
    this.engine = Objects.requireNonNull(engine, "engine");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.owned = owned;
  }

  /**
   * A bridge that runs the engine's work on {@code executor} (for example a virtual-thread
   * executor, or one of the host's pools); not attached to any detector yet.
   *
   * @param engine the engine to feed
   * @param executor runs the deliveries (not shut down by {@link #close()})
   * @return the bridge, to be added to a detector with {@link FailureDetector#addListener}
   */
  public static EngineVerdictBridge to(FailoverEngine engine, Executor executor) {
    return new EngineVerdictBridge(engine, executor, null);
  }

  /**
   * Attaches a new bridge to {@code detector}, running the engine's work on {@code executor}.
   *
   * @param detector the detector whose verdicts to deliver
   * @param engine the engine to feed
   * @param executor runs the deliveries (not shut down by {@link #close()})
   * @return the bridge; {@link #close()} detaches it
   */
  public static EngineVerdictBridge connect(FailureDetector detector, FailoverEngine engine, Executor executor) {
    EngineVerdictBridge b = to(engine, executor);
    b.subscription = Objects.requireNonNull(detector, "detector").addListener(b);
    return b;
  }

  /**
   * Attaches a new bridge to {@code detector} with a thread of its own (a daemon thread named
   * {@code drkit-verdicts-<service>}, stopped by {@link #close()}).
   *
   * @param detector the detector whose verdicts to deliver
   * @param engine the engine to feed
   * @return the bridge; {@link #close()} detaches it and stops its thread
   */
  public static EngineVerdictBridge connect(FailureDetector detector, FailoverEngine engine) {
    String name = "drkit-verdicts-" + engine.config().name();
    ExecutorService own = Executors.newSingleThreadExecutor(DrkitThreads.named(name, true));
    EngineVerdictBridge b = new EngineVerdictBridge(engine, own, own);
    b.subscription = Objects.requireNonNull(detector, "detector").addListener(b);
    return b;
  }

  /**
   * Records the verdict and returns at once; the engine gets it on the executor.
   *
   * @throws RejectedExecutionException when the executor refuses the delivery (the verdict stays
   *     pending and goes with the next one)
   */
  @Override
  public void onVerdict(String service, Site site, HealthVerdict previous, HealthVerdict current,
      ProbeOutcome cause) {
    Objects.requireNonNull(current, "current");
    if (closed.get()) {
      return;
    }
    received.incrementAndGet();
    pending.set(new Pending(current, "detector of " + service + " on " + site));
    schedule();
  }

  private void schedule() {
    if (pending.get() != null && scheduled.compareAndSet(false, true)) {
      try {
        executor.execute(this::drain);
      } catch (RejectedExecutionException e) {
        scheduled.set(false);
        throw e;
      }
    }
  }

  private void drain() {
    try {
      Pending p;
      while ((p = pending.getAndSet(null)) != null && !closed.get()) {
        try {
          engine.onVerdict(p.verdict(), p.source());
        } catch (RuntimeException e) {
          LOG.warn("the engine of {} failed on verdict {} from {}", engine.config().name(), p.verdict(), p.source(), e);
        }
        delivered.incrementAndGet();
      }
    } finally {
      scheduled.set(false);
    }
    if (!closed.get()) {
      schedule(); // a verdict that arrived between the last poll and the reset
    }
  }

  /** @return how many verdicts the detector reported to this bridge */
  public long received() {
    return received.get();
  }

  /**
   * @return how many verdicts were handed to the engine; {@code received() - delivered()} were
   *     replaced by a later one before the engine was free (or are still pending)
   */
  public long delivered() {
    return delivered.get();
  }

  /** Detaches from the detector (if attached by {@code connect}) and stops the bridge's own thread; idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      Subscription s = subscription;
      if (s != null) {
        s.close();
      }
      if (owned != null) {
        owned.shutdown();
      }
    }
  }
}
