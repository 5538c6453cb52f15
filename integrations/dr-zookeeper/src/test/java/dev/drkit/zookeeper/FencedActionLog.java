package dev.drkit.zookeeper;

import dev.drkit.core.LeadershipLostException;
import dev.drkit.core.StaleEpochException;
import dev.drkit.core.spi.Lease;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A downstream resource independent of ZooKeeper that records every action with the token it
 * carried: it refuses actions whose token is older than the newest it has accepted (the fence),
 * and keeps every attempt so tests can check that no two instances ever acted in one epoch.
 */
final class FencedActionLog {
  /** One accepted action. */
  record Action(long seq, String instance, long token) {}

  private final List<Action> accepted = new ArrayList<>();
  private final List<Action> refusedStale = new ArrayList<>();
  private int refusedByLease;
  private long highest;

  /**
   * Acts under a lease: the lease is checked and the action recorded atomically with respect to
   * every other action, so any overlap of two valid leases in real time would show up here.
   */
  synchronized Action act(String instance, Lease lease) {
    if (!lease.isValid()) {
      refusedByLease++;
      throw new LeadershipLostException(instance + ": term " + lease.token() + " has ended");
    }
    return actWithToken(instance, lease.token());
  }

  /** Acts with a bare token, as a message arriving late from a paused sender would. */
  synchronized Action actWithToken(String instance, long token) {
    Action a = new Action(accepted.size() + refusedStale.size(), instance, token);
    if (token < highest) {
      refusedStale.add(a);
      throw new StaleEpochException("action log", token, highest);
    }
    highest = token;
    accepted.add(a);
    return a;
  }

  synchronized List<Action> accepted() {
    return List.copyOf(accepted);
  }

  synchronized List<Action> refusedStale() {
    return List.copyOf(refusedStale);
  }

  /** @return the sequence number of the latest accepted or refused action, -1 if none */
  synchronized long lastSeq() {
    return accepted.size() + refusedStale.size() - 1L;
  }

  synchronized int refusedByLease() {
    return refusedByLease;
  }

  /** @return for each token, the instances that acted with it */
  synchronized Map<Long, Set<String>> actorsByToken() {
    Map<Long, Set<String>> m = new HashMap<>();
    for (Action a : accepted) {
      m.computeIfAbsent(a.token(), t -> new TreeSet<>()).add(a.instance());
    }
    return m;
  }

  synchronized boolean anyBy(String instance, long token) {
    return accepted.stream().anyMatch(a -> a.instance().equals(instance) && a.token() == token);
  }
}
