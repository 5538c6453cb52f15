package dev.drkit.spring;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code drkit.*} properties of the starter.
 *
 * <pre>
 * drkit.plan=classpath:drkit/plan.yaml        # required: the recovery plan (YAML or JSON)
 * drkit.state-dir=/var/lib/app/drkit          # optional: FileStateStore there (default: in memory)
 * drkit.leadership-poll-interval=1s           # how often a started engine checks its lease
 * drkit.automatic-failover=true               # whether a DOWN verdict may fail over by itself
 * drkit.detection-interval=5s                 # probe interval of the detectors (with DrkitProbes)
 * </pre>
 */
@ConfigurationProperties("drkit")
public class DrkitProperties {
  private @Nullable String plan;
  private @Nullable String stateDir;
  private Duration leadershipPollInterval = Duration.ofSeconds(1);
  private boolean automaticFailover = true;
  private Duration detectionInterval = Duration.ofSeconds(5);

  /** Creates the properties with their defaults. */
  public DrkitProperties() {}

  /** @return the plan's resource location, e.g. {@code classpath:drkit/plan.yaml} */
  public @Nullable String getPlan() {
    return plan;
  }

  /** @param plan the plan's resource location */
  public void setPlan(@Nullable String plan) {
    this.plan = plan;
  }

  /** @return the directory of a {@code FileStateStore}, or null for an in-memory store */
  public @Nullable String getStateDir() {
    return stateDir;
  }

  /** @param stateDir the directory of a {@code FileStateStore} */
  public void setStateDir(@Nullable String stateDir) {
    this.stateDir = stateDir;
  }

  /** @return how often a started engine checks its lease */
  public Duration getLeadershipPollInterval() {
    return leadershipPollInterval;
  }

  /** @param leadershipPollInterval how often a started engine checks its lease */
  public void setLeadershipPollInterval(Duration leadershipPollInterval) {
    this.leadershipPollInterval = leadershipPollInterval;
  }

  /** @return whether a DOWN verdict may fail over by itself */
  public boolean isAutomaticFailover() {
    return automaticFailover;
  }

  /** @param automaticFailover whether a DOWN verdict may fail over by itself */
  public void setAutomaticFailover(boolean automaticFailover) {
    this.automaticFailover = automaticFailover;
  }

  /** @return the probe interval of the detectors */
  public Duration getDetectionInterval() {
    return detectionInterval;
  }

  /** @param detectionInterval the probe interval of the detectors */
  public void setDetectionInterval(Duration detectionInterval) {
    this.detectionInterval = detectionInterval;
  }
}
