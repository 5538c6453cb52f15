package dev.drkit.backup;

import dev.drkit.core.StorageException;
import dev.drkit.core.spi.BlobInfo;
import dev.drkit.core.spi.BlobStore;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A {@link BlobStore} wrapper standing for one process's view of a shared store, which a test can
 * pause (every operation of the process blocks, as under SIGSTOP), resume, kill (every operation
 * from then on fails and has no effect, as after SIGKILL) and make drop one operation (fails
 * without effect) or lose one acknowledgement (takes effect, then fails). Operations are counted
 * from 1 in the order they reach the wrapper.
 */
final class ControlledStore implements BlobStore {
  /** What an operation of a killed process gets. */
  static final class Killed extends StorageException {
    private static final long serialVersionUID = 1L;

    Killed(String op) {
      super("process killed during " + op);
    }
  }

  /** A fault to inject at the n-th operation. */
  enum Fault {
    /** Block this and every later operation until {@link #resume} or {@link #kill}. */
    PAUSE,
    /** Fail without effect. */
    DROP,
    /** Take effect, then fail. */
    LOSE_ACK
  }

  private final BlobStore delegate;
  private final AtomicInteger ops = new AtomicInteger();
  private volatile int faultAt = -1;
  private volatile Fault fault = Fault.PAUSE;
  private volatile String faultPrefix = "";
  private volatile boolean paused;
  private volatile boolean killed;
  private volatile CountDownLatch reached = new CountDownLatch(1);
  private final Object gate = new Object();
  private volatile String pausedAt = "";
  private volatile boolean injected;

  ControlledStore(BlobStore delegate) {
    this.delegate = delegate;
  }

  /** Injects {@code f} at the {@code n}-th operation (counted from 1). */
  ControlledStore faultAt(int n, Fault f) {
    this.faultAt = n;
    this.fault = f;
    this.faultPrefix = "";
    return this;
  }

  /** Injects {@code f} at the first operation whose description starts with {@code prefix}. */
  ControlledStore faultOn(String prefix, Fault f) {
    this.faultAt = Integer.MAX_VALUE;
    this.fault = f;
    this.faultPrefix = prefix;
    return this;
  }

  /** @return whether the pause was reached within the time (false: the operation ended first) */
  boolean awaitPaused(long seconds) throws InterruptedException {
    return reached.await(seconds, TimeUnit.SECONDS);
  }

  /** Releases the paused operation when the operation ends without reaching the pause. */
  void operationEnded() {
    reached.countDown();
  }

  boolean isPaused() {
    return paused;
  }

  String pausedAt() {
    return pausedAt;
  }

  /** @return whether a drop, a lost acknowledgement or a kill reached an operation */
  boolean injected() {
    return injected || killed;
  }

  int operations() {
    return ops.get();
  }

  void resume() {
    synchronized (gate) {
      paused = false;
      gate.notifyAll();
    }
  }

  void kill() {
    synchronized (gate) {
      killed = true;
      paused = false;
      gate.notifyAll();
    }
  }

  private <T> T run(String op, Supplier<T> body) {
    int n = ops.incrementAndGet();
    boolean hit;
    synchronized (this) {
      hit = faultPrefix.isEmpty() ? n == faultAt : faultAt == Integer.MAX_VALUE && op.startsWith(faultPrefix);
      if (hit) {
        faultAt = -1;
      }
    }
    if (hit && fault == Fault.PAUSE) {
      synchronized (gate) {
        paused = true;
        pausedAt = op;
      }
      reached.countDown();
    }
    synchronized (gate) {
      while (paused && !killed) {
        try {
          gate.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new StorageException("interrupted while paused in " + op, e);
        }
      }
    }
    if (killed) {
      throw new Killed(op);
    }
    if (hit && fault != Fault.PAUSE) {
      injected = true;
    }
    if (hit && fault == Fault.DROP) {
      throw new StorageException("injected: " + op + " dropped");
    }
    T r = body.get();
    if (hit && fault == Fault.LOSE_ACK) {
      throw new StorageException("injected: " + op + " done but its acknowledgement was lost");
    }
    return r;
  }

  @Override
  public boolean putIfAbsent(String key, byte[] content) {
    return run("putIfAbsent " + key, () -> delegate.putIfAbsent(key, content));
  }

  @Override
  public void put(String key, byte[] content) {
    run("put " + key, () -> {
      delegate.put(key, content);
      return null;
    });
  }

  @Override
  public byte[] get(String key) {
    return run("get " + key, () -> delegate.get(key));
  }

  @Override
  public byte[] getRange(String key, long offset, int length) {
    return run("getRange " + key, () -> delegate.getRange(key, offset, length));
  }

  @Override
  public Optional<BlobInfo> stat(String key) {
    return run("stat " + key, () -> delegate.stat(key));
  }

  @Override
  public List<BlobInfo> list(String prefix) {
    return run("list " + prefix, () -> delegate.list(prefix));
  }

  @Override
  public boolean delete(String key) {
    return run("delete " + key, () -> delegate.delete(key));
  }

  @Override
  public int writeConcurrency() {
    return delegate.writeConcurrency();
  }

  @Override
  public String toString() {
    return "ControlledStore{" + delegate + "}";
  }
}
