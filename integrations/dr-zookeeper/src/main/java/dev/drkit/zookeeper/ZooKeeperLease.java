package dev.drkit.zookeeper;

import dev.drkit.core.spi.Lease;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * One leadership term granted by a {@link ZooKeeperCoordinator}.
 *
 * <p>The {@linkplain #token() token} is the version of the coordinator's epoch znode after the
 * term's own write to it, made in one ZooKeeper transaction with a check that the holder's
 * leader-latch node still exists: every term increments it, so tokens strictly increase across
 * terms, and no instance that has lost its latch node can obtain one.
 *
 * <p>The lease is valid while all of these hold, and once any fails it is invalid for good:
 * <ul>
 *   <li>the coordinator has not revoked it (a SUSPENDED or LOST connection, a missing latch
 *       node, a closed coordinator revoke it at once);</li>
 *   <li>the leader latch still reports leadership;</li>
 *   <li>the local monotonic clock has not passed the lease's deadline. The deadline is pushed
 *       forward by heartbeats, each to (the time the heartbeat was <em>sent</em>) + (negotiated
 *       session timeout x safety factor). ZooKeeper cannot expire the session, and so cannot
 *       let another instance lead, before the server stops hearing from this one for a whole
 *       session timeout; so the deadline passes first. This covers what connection events
 *       cannot: a process paused (garbage collection, a stopped VM) past its session resumes
 *       with an already invalid lease, before any listener has run.</li>
 * </ul>
 *
 * <p>Validity is a local judgement made at one instant: an action begun under a valid lease can
 * still be delayed past its end. That is why the {@link #token()} must travel with every action
 * and receivers must refuse older tokens (see {@link ZooKeeperStateStore#fencedBy(ZooKeeperLease)}).
 */
public final class ZooKeeperLease implements Lease {
  private final long token;
  private final String holder;
  private final long sessionId;
  private final String latchNode;
  private final String epochPath;
  private final LongSupplier nanoTime;
  private final BooleanSupplier latchLeads;
  private long deadlineNanos;
  private boolean revoked;
  private boolean reported;
  private @Nullable String endReason;

  ZooKeeperLease(long token, String holder, long sessionId, String latchNode, String epochPath,
      long deadlineNanos, LongSupplier nanoTime, BooleanSupplier latchLeads) {
    this.token = token;
    this.holder = Objects.requireNonNull(holder, "holder");
    this.sessionId = sessionId;
    this.latchNode = Objects.requireNonNull(latchNode, "latchNode");
    this.epochPath = Objects.requireNonNull(epochPath, "epochPath");
    this.deadlineNanos = deadlineNanos;
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    this.latchLeads = Objects.requireNonNull(latchLeads, "latchLeads");
  }

  /** @return the fencing token of this term (the epoch znode's version after the term's write) */
  @Override
  public long token() {
    return token;
  }

  /** @return whether the holder may still act; {@code false} forever once it was {@code false} */
  @Override
  public boolean isValid() {
    boolean lapsed;
    synchronized (this) {
      if (revoked) {
        return false;
      }
      lapsed = nanoTime.getAsLong() - deadlineNanos >= 0;
      if (!lapsed && latchLeads.getAsBoolean()) {
        return true;
      }
      revoked = true;
      endReason = lapsed ? "lease deadline passed without a confirming heartbeat" : "leader latch lost leadership";
    }
    return false;
  }

  /** @return the participant id of the instance holding this term */
  public String holder() {
    return holder;
  }

  /** @return the ZooKeeper session the term was granted in */
  public long sessionId() {
    return sessionId;
  }

  /** @return the leader-latch znode of the holder */
  public String latchNode() {
    return latchNode;
  }

  /** @return the epoch znode whose version the token is */
  public String epochPath() {
    return epochPath;
  }

  /** @return why the term ended, or {@code null} while it has not */
  public synchronized @Nullable String endReason() {
    return endReason;
  }

  /**
   * Pushes the deadline forward after a confirming heartbeat, unless the lease already ended.
   *
   * @param newDeadlineNanos the new deadline on the lease's clock
   * @return whether the lease is still valid
   */
  synchronized boolean extend(long newDeadlineNanos) {
    if (revoked) {
      return false;
    }
    if (nanoTime.getAsLong() - deadlineNanos >= 0) {
      revoked = true;
      endReason = "lease deadline passed without a confirming heartbeat";
      return false;
    }
    if (newDeadlineNanos - deadlineNanos > 0) {
      deadlineNanos = newDeadlineNanos;
    }
    return true;
  }

  /**
   * Ends the term.
   *
   * @param reason why
   * @return whether this call ended it (false when it had already ended)
   */
  synchronized boolean revoke(String reason) {
    if (revoked) {
      return false;
    }
    revoked = true;
    endReason = reason;
    return true;
  }

  /** @return true the first time it is called after the lease ended (to report the end once) */
  synchronized boolean markReported() {
    if (!revoked || reported) {
      return false;
    }
    reported = true;
    return true;
  }

  @Override
  public String toString() {
    return "ZooKeeperLease{token=" + token + ", holder=" + holder + ", session=0x" + Long.toHexString(sessionId) + "}";
  }
}
