package dev.drkit.core.spi;

import dev.drkit.core.FailoverState;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The persisted failover state of one service: what a restarted orchestrator needs to resume.
 *
 * @param service the service's name
 * @param state the state machine's state
 * @param epoch the fencing epoch of the current role assignment; grows with every role change
 * @param activeSite the site that serves (or is being made to serve) at {@code epoch}
 * @param since when the state was entered
 * @param reason why the state was entered (a detection verdict, an operator command, an error)
 * @param attributes the engine's bookkeeping for resuming (the command in progress, the steps
 *     already done, a forced flag, ...); sorted, unmodifiable
 */
public record ServiceState(String service, FailoverState state, long epoch, Site activeSite, Instant since,
    String reason, Map<String, String> attributes) {

  /** Validates and copies. */
  public ServiceState {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(activeSite, "activeSite");
    Objects.requireNonNull(since, "since");
    Objects.requireNonNull(reason, "reason");
    if (epoch < 0) {
      throw new IllegalArgumentException("epoch must be >= 0 but was " + epoch);
    }
    attributes = attributes == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(attributes));
  }

  /**
   * @param service the name of the protected service
   * @param now the time
   * @return the initial state: primary active at epoch 1
   */
  public static ServiceState initial(String service, Instant now) {
    return new ServiceState(service, FailoverState.PRIMARY_ACTIVE, 1, Site.PRIMARY, now, "initial", Map.of());
  }
}
