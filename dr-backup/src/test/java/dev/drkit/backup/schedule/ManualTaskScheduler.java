package dev.drkit.backup.schedule;

import dev.drkit.testkit.FakeClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.PriorityQueue;

/**
 * A {@link TaskScheduler} for tests: tasks run only inside {@link #advance}/{@link #runDue}, on the
 * calling thread, in time order, with the {@link FakeClock} set to each task's time.
 */
public final class ManualTaskScheduler implements TaskScheduler {
  private final FakeClock clock;
  private final PriorityQueue<Item> queue = new PriorityQueue<>();
  private long seq;

  /** @param clock the fake clock to drive */
  public ManualTaskScheduler(FakeClock clock) {
    this.clock = clock;
  }

  private record Item(Instant at, long seq, Runnable task) implements Comparable<Item> {
    @Override
    public int compareTo(Item o) {
      int c = at.compareTo(o.at);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  @Override
  public Clock clock() {
    return clock;
  }

  @Override
  public synchronized ScheduledTask schedule(Instant at, Runnable task) {
    Item item = new Item(at, seq++, task);
    queue.add(item);
    return () -> {
      synchronized (ManualTaskScheduler.this) {
        return queue.remove(item);
      }
    };
  }

  /** @param d how far to move the clock, running every task that falls due on the way */
  public void advance(Duration d) {
    advanceTo(clock.instant().plus(d));
  }

  /** @param target the time to move to, running every task due by then */
  public void advanceTo(Instant target) {
    while (true) {
      Item next;
      synchronized (this) {
        next = queue.peek();
        if (next == null || next.at().isAfter(target)) {
          break;
        }
        queue.poll();
      }
      if (next.at().isAfter(clock.instant())) {
        clock.set(next.at());
      }
      next.task().run();
    }
    if (target.isAfter(clock.instant())) {
      clock.set(target);
    }
  }

  /** Runs every task due now (and those they schedule for now). */
  public void runDue() {
    advanceTo(clock.instant());
  }

  /** @return how many tasks wait */
  public synchronized int pending() {
    return queue.size();
  }
}
