package dev.drkit.examples.soak;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A seeded schedule of faults for one soak run: the same seed always gives the same faults at the
 * same offsets, so a run that found a bug can be replayed ({@code drkit soak --seed S
 * --schedules 1}). Timing on the machine still varies; the schedule does not.
 *
 * @param seed the seed the faults were drawn from; the same seed gives the same faults
 * @param faults the faults, by start offset
 * @param length when the last fault has ended
 */
public record SoakSchedule(long seed, List<Fault> faults, Duration length) {
  /** The kinds of fault. */
  public enum Kind {
    /** Stop a site abruptly (server and database), restart it when the fault ends. */
    KILL,
    /** Pause a site (its handlers and replicated applies wait), resume it when the fault ends. */
    PAUSE,
    /** A network fault on a link (a {@link FaultProxy} mode), healed when the fault ends. */
    PARTITION,
    /** Busy threads starving the CPU for the fault's duration. */
    CPU,
    /** The engine's and detector's clock steps by {@link Fault#jump()} (it stays stepped). */
    CLOCK_JUMP
  }

  /** Where a partition applies. */
  public enum Link {
    /** Between the primary site and the backup site (replication). */
    REPLICATION,
    /** Between the router (and the failure detector beside it) and the primary site. */
    ROUTER_PRIMARY,
    /** Between the router and the backup site. */
    ROUTER_BACKUP
  }

  /**
   * One fault.
   *
   * @param at when it starts, from the start of the faults
   * @param duration how long it lasts (zero for a clock jump)
   * @param kind what it is
   * @param site the site of a kill or pause ({@code primary} or {@code backup}), else empty
   * @param link the link of a partition, else null
   * @param network the proxy fault of a partition, else {@link FaultProxy.Fault#PASS}
   * @param threads the busy threads of a CPU fault, else 0
   * @param jump the step of a clock jump, else zero
   */
  public record Fault(Duration at, Duration duration, Kind kind, String site, Link link, FaultProxy.Fault network,
      int threads, Duration jump) {
    /** Validates. */
    public Fault {
      Objects.requireNonNull(at, "at");
      Objects.requireNonNull(duration, "duration");
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(site, "site");
      Objects.requireNonNull(link, "link");
      Objects.requireNonNull(network, "network");
      Objects.requireNonNull(jump, "jump");
    }

    @Override
    public String toString() {
      String what = switch (kind) {
        case KILL, PAUSE -> kind.name().toLowerCase(java.util.Locale.ROOT) + " " + site;
        case PARTITION -> link.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + " " + network;
        case CPU -> "cpu " + threads + " busy threads";
        case CLOCK_JUMP -> "clock jump " + (jump.isNegative() ? "" : "+") + jump.toMillis() + " ms";
      };
      return "+" + at.toMillis() + " ms " + what + (kind == Kind.CLOCK_JUMP ? "" : " for " + duration.toMillis() + " ms");
    }
  }

  /** Validates and copies. */
  public SoakSchedule {
    faults = List.copyOf(faults);
    Objects.requireNonNull(length, "length");
  }

  /**
   * Draws a schedule: 2 to 4 faults starting within the first {@code window}, each lasting 150 ms
   * to 1.2 s, of every kind (kills and pauses of either site; drop, delay, blackhole or reset on
   * the replication link or between the router and either site; 1 to 3 busy threads; clock jumps
   * of up to 5 s either way).
   *
   * @param seed the seed to draw the faults from
   * @param window the span in which faults start
   * @return the schedule
   */
  public static SoakSchedule generate(long seed, Duration window) {
    SplittableRandom r = new SplittableRandom(seed);
    int n = 2 + r.nextInt(3);
    List<Fault> faults = new ArrayList<>();
    long end = 0;
    for (int i = 0; i < n; i++) {
      Duration at = Duration.ofMillis(r.nextLong(Math.max(1, window.toMillis())));
      Duration d = Duration.ofMillis(150 + r.nextLong(1050));
      int k = r.nextInt(100);
      String site = r.nextBoolean() ? "primary" : "backup";
      Fault f;
      if (k < 20) {
        f = new Fault(at, d, Kind.KILL, site, Link.REPLICATION, FaultProxy.Fault.PASS, 0, Duration.ZERO);
      } else if (k < 35) {
        f = new Fault(at, d, Kind.PAUSE, site, Link.REPLICATION, FaultProxy.Fault.PASS, 0, Duration.ZERO);
      } else if (k < 75) {
        Link link = Link.values()[r.nextInt(Link.values().length)];
        FaultProxy.Mode m = FaultProxy.Mode.values()[1 + r.nextInt(FaultProxy.Mode.values().length - 1)];
        FaultProxy.Fault nf = new FaultProxy.Fault(m, m == FaultProxy.Mode.DELAY
            ? Duration.ofMillis(20 + r.nextLong(300)) : Duration.ZERO);
        f = new Fault(at, d, Kind.PARTITION, "", link, nf, 0, Duration.ZERO);
      } else if (k < 88) {
        f = new Fault(at, d, Kind.CPU, "", Link.REPLICATION, FaultProxy.Fault.PASS, 1 + r.nextInt(3), Duration.ZERO);
      } else {
        long ms = 500 + r.nextLong(4500);
        f = new Fault(at, Duration.ZERO, Kind.CLOCK_JUMP, "", Link.REPLICATION, FaultProxy.Fault.PASS, 0,
            Duration.ofMillis(r.nextBoolean() ? ms : -ms));
      }
      faults.add(f);
      end = Math.max(end, at.plus(d).toMillis());
    }
    faults.sort(Comparator.comparing(Fault::at));
    return new SoakSchedule(seed, faults, Duration.ofMillis(end));
  }
}
