package dev.drkit.validation.checks;

import dev.drkit.core.spi.CheckContext;
import dev.drkit.core.spi.HealthCheck;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.core.spi.SyntheticTransaction;
import dev.drkit.validation.CheckFactory;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Plan type {@code synthetic}: service verification through a host's {@link SyntheticTransaction}.
 * Writes a random payload under a fresh probe id, reads it back, and always cleans up; healthy when
 * the payload reads back unchanged, the clean-up succeeds and (with {@code verifyCleanup}) the
 * record is gone afterwards. The detail names the stage that failed.
 *
 * <p>Parameters: {@code transaction} (required, a registered name), {@code payloadBytes} (optional,
 * 1-1048576, default 64), {@code verifyCleanup} (optional, default true).
 */
public final class SyntheticCheck implements HealthCheck {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SyntheticTransaction transaction;
  private final int payloadBytes;
  private final boolean verifyCleanup;

  /**
   * @param transaction the host's transaction
   * @param payloadBytes the payload size, positive
   * @param verifyCleanup whether to check that the record is gone after clean-up
   */
  public SyntheticCheck(SyntheticTransaction transaction, int payloadBytes, boolean verifyCleanup) {
    this.transaction = Objects.requireNonNull(transaction, "transaction");
    if (payloadBytes < 1) {
      throw new IllegalArgumentException("payloadBytes must be positive but was " + payloadBytes);
    }
    this.payloadBytes = payloadBytes;
    this.verifyCleanup = verifyCleanup;
  }

  /** @return the factory of plan type {@code synthetic} */
  public static CheckFactory factory() {
    return p -> {
      SyntheticTransaction tx = p.requireResource("transaction", SyntheticTransaction.class, "synthetic transaction");
      long size = p.optLong("payloadBytes", 64, 1, 1 << 20);
      boolean verify = p.optBoolean("verifyCleanup", true);
      p.ensureValid();
      return new SyntheticCheck(Objects.requireNonNull(tx), (int) size, verify);
    };
  }

  @Override
  public HealthResult check(CheckContext context) throws InterruptedException {
    String id = "drkit-probe-" + UUID.randomUUID();
    byte[] payload = new byte[payloadBytes];
    RANDOM.nextBytes(payload);
    long t0 = System.nanoTime();
    String failure = null;
    String stage = "write";
    double writeMs = -1;
    double readMs = -1;
    try {
      transaction.write(context, id, payload.clone());
      writeMs = (System.nanoTime() - t0) / 1e6;
      stage = "read";
      long t1 = System.nanoTime();
      byte @Nullable [] back = transaction.read(context, id);
      readMs = (System.nanoTime() - t1) / 1e6;
      if (back == null) {
        failure = "read-back found no record under " + id;
      } else if (!Arrays.equals(back, payload)) {
        failure = "read-back returned " + back.length + " bytes different from the " + payloadBytes + " written";
      }
    } catch (InterruptedException e) {
      cleanUpQuietly(context, id);
      throw e;
    } catch (Exception e) {
      failure = stage + " failed: " + e;
    }
    long t2 = System.nanoTime();
    String cleanupFailure = null;
    try {
      transaction.cleanUp(context, id);
      if (verifyCleanup && transaction.read(context, id) != null) {
        cleanupFailure = "clean-up left the record " + id + " behind";
      }
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      cleanupFailure = "clean-up failed: " + e;
    }
    double cleanMs = (System.nanoTime() - t2) / 1e6;
    String timing = String.format(Locale.ROOT, "write %.1f ms, read %.1f ms, clean-up %.1f ms", writeMs, readMs,
        cleanMs);
    HealthResult r;
    if (failure != null || cleanupFailure != null) {
      r = HealthResult.unhealthy((failure == null ? "" : failure + "; ")
          + (cleanupFailure == null ? "" : cleanupFailure + "; ") + timing)
          .with("stage", failure != null ? stage : "cleanUp");
    } else {
      r = HealthResult.healthy("synthetic transaction " + id + " wrote, read back and cleaned up; " + timing);
    }
    return r.with("probeId", id).with("writeMillis", writeMs).with("readMillis", readMs)
        .with("cleanUpMillis", cleanMs);
  }

  private void cleanUpQuietly(CheckContext context, String id) {
    try {
      transaction.cleanUp(context, id);
    } catch (Exception e) {
      // interrupted: best effort; the record id is unique and documented as probe data
    }
  }

  @Override
  public String toString() {
    return "synthetic " + transaction;
  }
}
