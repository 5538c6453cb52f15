package dev.drkit.examples.soak;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Checks one soak run from what the clients and the sites recorded: the clients' ledger of
 * acknowledged writes, each site's own acceptance log (every client write it accepted, with its
 * epoch and when) and the orders on the site that serves at the end. Pure: the same records give
 * the same verdict.
 */
public final class SoakChecker {
  private SoakChecker() {}

  /**
   * One client write a site accepted.
   *
   * @param site the site that accepted it
   * @param epoch the epoch it accepted it under
   * @param id the order
   * @param nanos when ({@link System#nanoTime()})
   */
  public record Accept(String site, long epoch, String id, long nanos) {
    /** Validates. */
    public Accept {
      Objects.requireNonNull(site, "site");
      Objects.requireNonNull(id, "id");
    }
  }

  /**
   * What the checker found.
   *
   * @param acknowledged how many writes the clients saw acknowledged
   * @param lostAcknowledged how many of them the final site does not hold (the serving site, or when
   *     none serves the site the engine names active; all of them when that site is down)
   * @param lostIds up to 20 of the lost ids
   * @param splitBrainMs how long two sites accepted client writes at once: the total overlap of
   *     the sites' tenures, a tenure being a site's first to last accepted write under one epoch
   * @param sharedEpochs epochs under which both sites accepted client writes (each one is split
   *     brain whatever the timing)
   * @param longestNoServingMs the longest span within the load in which no site accepted a client
   *     write (an upper bound on the time with no serving site: clients write every few ms)
   * @param servingAtEnd whether a site served at the end
   */
  public record Verdict(long acknowledged, long lostAcknowledged, List<String> lostIds, long splitBrainMs,
      List<Long> sharedEpochs, long longestNoServingMs, boolean servingAtEnd) {
    /** Validates and copies. */
    public Verdict {
      lostIds = List.copyOf(lostIds);
      sharedEpochs = List.copyOf(sharedEpochs);
    }

    /** @return whether the run met every target: nothing lost, no split brain, a site serving at the end */
    public boolean clean() {
      return lostAcknowledged == 0 && splitBrainMs == 0 && sharedEpochs.isEmpty() && servingAtEnd;
    }
  }

  private record Tenure(String site, long epoch, long from, long to) {}

  /**
   * @param acknowledged the ids of every write the clients saw acknowledged
   * @param accepts every site's acceptance log
   * @param finalSite the orders on the site serving at the end or, when none serves, on the site the
   *     engine names active; null when that site is down
   * @param servingAtEnd whether a site serves at the end
   * @param loadFromNanos when the clients started writing
   * @param loadToNanos when they stopped
   * @return the verdict
   */
  public static Verdict check(Collection<String> acknowledged, Collection<Accept> accepts,
      @Nullable Set<String> finalSite, boolean servingAtEnd, long loadFromNanos, long loadToNanos) {
    List<String> lost = new ArrayList<>();
    for (String id : acknowledged) {
      if (finalSite == null || !finalSite.contains(id)) {
        lost.add(id);
      }
    }
    Map<String, Tenure> tenures = new LinkedHashMap<>();
    for (Accept a : accepts) {
      tenures.merge(a.site() + "@" + a.epoch(), new Tenure(a.site(), a.epoch(), a.nanos(), a.nanos()),
          (x, y) -> new Tenure(x.site(), x.epoch(), Math.min(x.from(), y.from()), Math.max(x.to(), y.to())));
    }
    List<Tenure> ts = new ArrayList<>(tenures.values());
    long overlapNanos = 0;
    TreeSet<Long> shared = new TreeSet<>();
    for (int i = 0; i < ts.size(); i++) {
      for (int j = i + 1; j < ts.size(); j++) {
        Tenure a = ts.get(i);
        Tenure b = ts.get(j);
        if (a.site().equals(b.site())) {
          continue;
        }
        if (a.epoch() == b.epoch()) {
          shared.add(a.epoch());
        }
        long o = Math.min(a.to(), b.to()) - Math.max(a.from(), b.from());
        if (o > 0) {
          overlapNanos += o;
        }
      }
    }
    List<Long> times = new ArrayList<>();
    for (Accept a : accepts) {
      if (a.nanos() >= loadFromNanos && a.nanos() <= loadToNanos) {
        times.add(a.nanos());
      }
    }
    times.sort(Comparator.naturalOrder());
    long longest = 0;
    long prev = loadFromNanos;
    for (long t : times) {
      longest = Math.max(longest, t - prev);
      prev = t;
    }
    longest = Math.max(longest, loadToNanos - prev);
    return new Verdict(acknowledged.size(), lost.size(), lost.stream().sorted().limit(20).toList(),
        Math.round(overlapNanos / 1e6), List.copyOf(shared), Math.round(longest / 1e6), servingAtEnd);
  }
}
