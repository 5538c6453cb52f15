package dev.drkit.examples.orders;

import dev.drkit.core.EventBus;
import dev.drkit.spi.DrEvent;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link OrderReplication} within one JVM, without a log or a network: the source's committed
 * writes are applied to the replica directly (synchronous mode) or queued and applied by a
 * shipper thread (asynchronous mode). The queue and the shipper belong to the source's process:
 * when the source is killed they die with it, so its unshipped writes are lost exactly as a
 * crashed primary's would be. Writes committed while no replica is attached are queued and caught
 * up when one attaches.
 */
public final class InProcessReplication implements OrderReplication {
  private static final Logger LOG = LoggerFactory.getLogger(InProcessReplication.class);

  private final String service;
  private final boolean synchronous;
  private final EventBus events;
  private final Clock clock;
  private final ConcurrentLinkedDeque<Order> pending = new ConcurrentLinkedDeque<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final Thread shipper;
  private volatile @Nullable OrderSite source;
  private volatile long epoch;
  private volatile @Nullable OrderSite replica;
  private volatile boolean closed;

  /**
   * @param service the service's name (for events)
   * @param synchronous whether a write is acknowledged only once the replica has it
   * @param events where replication events go
   * @param clock the clock
   */
  public InProcessReplication(String service, boolean synchronous, EventBus events, Clock clock) {
    this.service = Objects.requireNonNull(service, "service");
    this.synchronous = synchronous;
    this.events = Objects.requireNonNull(events, "events");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.shipper = new Thread(this::shipLoop, "orders-replication-" + service);
    shipper.setDaemon(true);
    shipper.start();
  }

  @Override
  public String mode() {
    return synchronous ? "sync" : "async";
  }

  @Override
  public void ship(OrderSite primary, long newEpoch) {
    Objects.requireNonNull(primary, "primary");
    lock.lock();
    try {
      if (source == primary && epoch == newEpoch) {
        return;
      }
      OrderSite old = source;
      if (old != null && old != primary) {
        old.writeHook(WriteHook.none());
      }
      if (replica == primary) {
        replica = null;
      }
      if (old != primary) {
        // A new source starts a new history: whatever the old source had not shipped died with it.
        pending.clear();
      }
      source = primary;
      epoch = newEpoch;
      primary.writeHook(order -> onWrite(primary, order));
      primary.onKill(() -> sourceDied(primary));
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void attach(OrderSite site, long atEpoch) {
    lock.lock();
    try {
      if (site == source) {
        throw new SiteUnavailableException("site " + site.name() + " is the replication source and cannot follow itself");
      }
      replica = site;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void fence(OrderSite site, long newEpoch) {
    lock.lock();
    try {
      if (site == source) {
        site.writeHook(WriteHook.none());
        source = null;
        pending.clear();
      }
      if (site == replica) {
        replica = null;
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void sourceDied(OrderSite site) {
    lock.lock();
    try {
      if (site == source) {
        int lost = pending.size();
        pending.clear();
        if (lost > 0) {
          LOG.warn("{}: source {} died with {} unshipped writes", service, site.name(), lost);
        }
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void onWrite(OrderSite from, Order order) {
    OrderSite r = replica;
    if (synchronous && r != null && r.isRunning() && pending.isEmpty()) {
      try {
        r.applyReplicated(order, epoch);
        return;
      } catch (RuntimeException e) {
        events.publish(new DrEvent(clock.instant(), "replication.mode.degraded", DrEvent.Severity.WARN, service, epoch,
            "replica " + r.name() + " did not take a synchronous write; queuing: " + e.getMessage(),
            Map.of("replica", r.name())));
      }
    }
    if (from != source || !from.isRunning()) {
      throw new SiteUnavailableException("site " + from.name() + " is no longer the replication source");
    }
    pending.add(order);
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void shipLoop() {
    while (!closed) {
      Order next = pending.peekFirst();
      OrderSite r = replica;
      long e = epoch;
      if (next == null || r == null || !r.isRunning()) {
        lock.lock();
        try {
          if (!closed && (pending.isEmpty() || replica == null)) {
            changed.await(50, TimeUnit.MILLISECONDS);
          } else if (!closed) {
            changed.await(20, TimeUnit.MILLISECONDS);
          }
        } catch (InterruptedException ex) {
          return;
        } finally {
          lock.unlock();
        }
        continue;
      }
      try {
        java.util.List<Order> batch = new java.util.ArrayList<>();
        for (Order o : pending) {
          batch.add(o);
          if (batch.size() == 256) {
            break;
          }
        }
        r.applyReplicated(batch, e, -1);
        for (Order o : batch) {
          pending.remove(o);
        }
        if (pending.isEmpty()) {
          lock.lock();
          try {
            changed.signalAll();
          } finally {
            lock.unlock();
          }
        }
      } catch (RuntimeException ex) {
        LOG.debug("{}: shipping to {} failed, will retry: {}", service, r.name(), ex.getMessage());
        lock.lock();
        try {
          changed.await(20, TimeUnit.MILLISECONDS);
        } catch (InterruptedException ie) {
          return;
        } finally {
          lock.unlock();
        }
      }
    }
  }

  @Override
  public Duration lag() {
    Order oldest = pending.peekFirst();
    if (oldest == null) {
      return Duration.ZERO;
    }
    Duration d = Duration.between(oldest.createdAt(), clock.instant());
    return d.isNegative() ? Duration.ZERO : d;
  }

  @Override
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    lock.lock();
    try {
      while (!pending.isEmpty()) {
        if (replica == null) {
          return false;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        changed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(20)));
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** @return the time of the oldest unshipped write, if any */
  public @Nullable Instant oldestPending() {
    Order o = pending.peekFirst();
    return o == null ? null : o.createdAt();
  }

  @Override
  public void close() {
    closed = true;
    shipper.interrupt();
    OrderSite s = source;
    if (s != null) {
      s.writeHook(WriteHook.none());
    }
  }
}
