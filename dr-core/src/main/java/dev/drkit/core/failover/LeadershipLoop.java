package dev.drkit.core.failover;

import dev.drkit.core.internal.DrkitThreads;
import dev.drkit.core.spi.Coordinator;
import dev.drkit.core.spi.Lease;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows a {@link Coordinator}'s leadership on one thread for a started {@link FailoverEngine}:
 * waits for the lease (in slices of {@code poll}, so that {@link #close()} is noticed), tells the
 * engine when it got it (the engine resumes from the stored state), watches the lease every
 * {@code poll}, tells the engine when it ended, and waits again for the next term.
 */
final class LeadershipLoop {
  private static final Logger LOG = LoggerFactory.getLogger(LeadershipLoop.class);

  /** What the engine does at each change; called on the loop's thread (or in {@link #start()}). */
  interface Listener {
    /** Runs on the loop's thread when the lease was obtained: resume the stored state, apply what waited. */
    void lead(Lease lease);

    /** Runs after {@link #lead}: the engine leads and has caught up; quick (publishes). */
    void acquired(Lease lease);

    /** The lease ended; quick (publishes). */
    void lost(Lease lease);

    /** The engine waits for the lease; quick (logs loudly and publishes). */
    void waiting();
  }

  private final Coordinator coordinator;
  private final Duration poll;
  private final ThreadFactory threads;
  private final String threadName;
  private final Listener listener;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private volatile LeadershipStatus status = LeadershipStatus.NOT_STARTED;
  private boolean caughtUp; // guarded by lock: leading, and the stored state was resumed in this term
  private @Nullable Thread thread;

  LeadershipLoop(Coordinator coordinator, Duration poll, ThreadFactory threads, String threadName,
      Listener listener) {
    this.coordinator = Objects.requireNonNull(coordinator, "coordinator");
    this.poll = Objects.requireNonNull(poll, "poll");
    this.threads = Objects.requireNonNull(threads, "threads");
    this.threadName = Objects.requireNonNull(threadName, "threadName");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  LeadershipStatus status() {
    return status;
  }

  /**
   * Tries the lease once without waiting (a single-process coordinator grants it here, so the
   * engine leads when start returns), then starts the thread. Idempotent while started.
   */
  void start() {
    Lease first;
    lock.lock();
    try {
      if (status == LeadershipStatus.CLOSED) {
        throw new IllegalStateException("this engine is closed; build a new one");
      }
      if (thread != null) {
        return;
      }
      first = tryNow();
      status = first != null ? LeadershipStatus.LEADING : LeadershipStatus.WAITING;
      thread = DrkitThreads.create(threads, () -> run(first), threadName);
    } finally {
      lock.unlock();
    }
    if (first == null) {
      listener.waiting();
    }
    thread.start();
  }

  private @Nullable Lease tryNow() {
    try {
      return coordinator.awaitLeadership(Duration.ZERO).filter(Lease::isValid).orElse(null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Stops following leadership; the thread is interrupted (a phase it drives stops at its next step). */
  void close() {
    Thread t;
    lock.lock();
    try {
      status = LeadershipStatus.CLOSED;
      wake.signalAll();
      t = thread;
    } finally {
      lock.unlock();
    }
    if (t != null && t != Thread.currentThread()) {
      t.interrupt();
    }
  }

  private boolean closed() {
    return status == LeadershipStatus.CLOSED;
  }

  private void run(@Nullable Lease first) {
    Lease lease = first;
    while (!closed()) {
      try {
        if (lease == null) {
          long asked = System.nanoTime();
          Optional<Lease> got = coordinator.awaitLeadership(poll);
          if (got.isEmpty() || !got.get().isValid()) {
            if (System.nanoTime() - asked < poll.toNanos()) {
              pause(); // the coordinator answered at once (closed, or it does not wait): do not spin
            }
            continue;
          }
          lease = got.get();
          if (!setStatus(LeadershipStatus.LEADING)) {
            return;
          }
        }
        try {
          listener.lead(lease);
        } catch (RuntimeException e) {
          LOG.warn("leading after leadership term {} began failed; the engine keeps following leadership",
              lease.token(), e);
        }
        setCaughtUp(true);
        listener.acquired(lease);
        watch(lease);
        if (closed()) {
          return;
        }
        setCaughtUp(false);
        if (setStatus(LeadershipStatus.WAITING)) {
          listener.lost(lease);
          listener.waiting();
        }
        lease = null;
      } catch (InterruptedException e) {
        if (closed()) {
          return;
        }
        // interrupted by someone else than close(): keep following leadership
      } catch (RuntimeException e) {
        LOG.warn("the coordinator failed while this engine waited for leadership; retrying in {}", poll, e);
        lease = null;
        try {
          pause();
        } catch (InterruptedException ie) {
          if (closed()) {
            return;
          }
        }
      }
    }
  }

  private void setCaughtUp(boolean value) {
    lock.lock();
    try {
      caughtUp = value;
      wake.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until the engine leads and has resumed its stored state in the current term.
   *
   * @return true when it does, false when the timeout passed first or the loop is closed
   */
  boolean awaitLeading(Duration timeout) throws InterruptedException {
    long left = timeout.toNanos();
    lock.lock();
    try {
      while (!caughtUp && status != LeadershipStatus.CLOSED) {
        if (left <= 0) {
          return false;
        }
        left = wake.awaitNanos(left);
      }
      return caughtUp && status == LeadershipStatus.LEADING;
    } finally {
      lock.unlock();
    }
  }

  private boolean setStatus(LeadershipStatus next) {
    lock.lock();
    try {
      if (status == LeadershipStatus.CLOSED) {
        return false;
      }
      status = next;
      return true;
    } finally {
      lock.unlock();
    }
  }

  private void watch(Lease lease) throws InterruptedException {
    while (!closed() && lease.isValid()) {
      pause();
    }
  }

  // the callers loop: a spurious wakeup only re-checks their condition early
  @SuppressWarnings("WaitNotInLoop")
  private void pause() throws InterruptedException {
    lock.lock();
    try {
      if (!closed()) {
        wake.await(poll.toNanos(), TimeUnit.NANOSECONDS);
      }
    } finally {
      lock.unlock();
    }
  }
}
