package dev.drkit.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;

/**
 * A {@link Clock} that moves only when a test moves it: the one fake clock shared by drkit's tests
 * and offered to users of the SPI. Thread-safe: any thread may read it while another advances it.
 *
 * <p>It has two readings, as a JVM has:
 *
 * <ul>
 *   <li>the wall clock ({@link #instant()}, {@link #millis()}), which {@link #advance(Duration)}
 *       moves forward and {@link #set(Instant)} may move anywhere, backwards too, as an NTP step
 *       does;
 *   <li>a monotonic reading ({@link #nanoTime()}, a stand-in for {@link System#nanoTime()} where
 *       the code under test takes a {@code LongSupplier}), which only {@link #advance(Duration)}
 *       moves.
 * </ul>
 *
 * <p>Tasks handed to {@link #schedule(Duration, Runnable)} run when an advance reaches their due
 * time, on the advancing thread, in due-time order (ties in scheduling order), each seeing the clock
 * at its own due time; so code that schedules follow-up work from inside a task is driven to the end
 * of the advance as a real scheduler would drive it.
 *
 * <p>{@link #withZone(ZoneId)} returns a view in another zone that shares this clock's time and
 * tasks.
 */
public final class FakeClock extends Clock {
  /** Where a clock made with {@link #FakeClock()} starts. */
  public static final Instant DEFAULT_START = Instant.parse("2026-01-01T00:00:00Z");

  private final Shared shared;
  private final ZoneId zone;

  /** Creates a clock at {@link #DEFAULT_START} in UTC. */
  public FakeClock() {
    this(DEFAULT_START);
  }

  /**
   * Creates a clock at {@code start} in UTC.
   *
   * @param start the initial wall-clock time
   */
  public FakeClock(Instant start) {
    this(new Shared(Objects.requireNonNull(start, "start")), ZoneOffset.UTC);
  }

  private FakeClock(Shared shared, ZoneId zone) {
    this.shared = shared;
    this.zone = zone;
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  /**
   * @param newZone the zone of the view
   * @return a clock in {@code newZone} sharing this clock's time and scheduled tasks
   */
  @Override
  public FakeClock withZone(ZoneId newZone) {
    return new FakeClock(shared, Objects.requireNonNull(newZone, "zone"));
  }

  @Override
  public Instant instant() {
    synchronized (shared) {
      return shared.now;
    }
  }

  /**
   * A monotonic reading in nanoseconds, moved only by {@link #advance(Duration)}: pass
   * {@code clock::nanoTime} where the code under test takes a {@code System::nanoTime} supplier.
   *
   * @return nanoseconds advanced since this clock was created
   */
  public long nanoTime() {
    synchronized (shared) {
      return shared.nanos;
    }
  }

  /**
   * Moves the wall clock to {@code time} without moving {@link #nanoTime()} and without running
   * tasks: a jump of the wall clock (forwards or backwards) such as an NTP correction.
   *
   * @param time the new wall-clock time
   */
  public void set(Instant time) {
    Objects.requireNonNull(time, "time");
    synchronized (shared) {
      shared.now = time;
    }
  }

  /**
   * Moves both readings forward by {@code amount} and runs, on this thread, every scheduled task
   * that falls due on the way (see the class description).
   *
   * @param amount how far to move; zero runs the tasks already due
   * @throws IllegalArgumentException when {@code amount} is negative
   */
  public void advance(Duration amount) {
    Objects.requireNonNull(amount, "amount");
    if (amount.isNegative()) {
      throw new IllegalArgumentException("a fake clock advances by a non-negative amount but got " + amount);
    }
    long remaining = amount.toNanos();
    while (true) {
      Task due;
      synchronized (shared) {
        Task head = shared.tasks.peek();
        if (head == null || head.dueNanos - shared.nanos > remaining) {
          moveTo(Math.addExact(shared.nanos, remaining));
          return;
        }
        due = shared.tasks.poll();
        long step = Math.max(0, due.dueNanos - shared.nanos);
        remaining -= step;
        moveTo(shared.nanos + step);
      }
      if (!due.cancelled) {
        due.action.run();
      }
    }
  }

  private void moveTo(long nanos) {
    long delta = nanos - shared.nanos;
    shared.nanos = nanos;
    shared.now = shared.now.plusNanos(delta);
  }

  /**
   * Sleeps in fake time: the same as {@link #advance(Duration)}. Pass {@code clock::sleep} where the
   * code under test takes a sleeping function, so its waits take no real time.
   *
   * @param amount how long to "sleep"
   */
  public void sleep(Duration amount) {
    advance(amount);
  }

  /**
   * Runs {@code task} once an advance reaches {@code delay} from now.
   *
   * @param delay how far from now (zero: at the next advance)
   * @param task what to run, on the advancing thread
   * @return a handle to cancel the task
   * @throws IllegalArgumentException when {@code delay} is negative
   */
  public Scheduled schedule(Duration delay, Runnable task) {
    Objects.requireNonNull(delay, "delay");
    Objects.requireNonNull(task, "task");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative but was " + delay);
    }
    synchronized (shared) {
      Task t = new Task(Math.addExact(shared.nanos, delay.toNanos()), shared.sequence++, task);
      shared.tasks.add(t);
      return t;
    }
  }

  /** @return the scheduled tasks not yet run or cancelled, in the order they will run */
  public List<Scheduled> pending() {
    synchronized (shared) {
      List<Task> all = new ArrayList<>(shared.tasks);
      all.removeIf(t -> t.cancelled);
      all.sort(Task.ORDER);
      return List.copyOf(all);
    }
  }

  @Override
  public String toString() {
    return "FakeClock{" + instant() + ", " + zone + "}";
  }

  /** A task waiting on a {@link FakeClock}. */
  public interface Scheduled {
    /** Keeps the task from running; does nothing when it ran already. */
    void cancel();

    /** @return the clock's {@link FakeClock#nanoTime()} at which the task runs */
    long dueNanoTime();
  }

  private static final class Shared {
    private final PriorityQueue<Task> tasks = new PriorityQueue<>(Task.ORDER);
    private Instant now;
    private long nanos;
    private long sequence;

    Shared(Instant now) {
      this.now = now;
    }
  }

  private static final class Task implements Scheduled {
    static final java.util.Comparator<Task> ORDER =
        java.util.Comparator.<Task>comparingLong(t -> t.dueNanos).thenComparingLong(t -> t.sequence);
    final long dueNanos;
    final long sequence;
    final Runnable action;
    volatile boolean cancelled;

    Task(long dueNanos, long sequence, Runnable action) {
      this.dueNanos = dueNanos;
      this.sequence = sequence;
      this.action = action;
    }

    @Override
    public void cancel() {
      cancelled = true;
    }

    @Override
    public long dueNanoTime() {
      return dueNanos;
    }
  }
}
