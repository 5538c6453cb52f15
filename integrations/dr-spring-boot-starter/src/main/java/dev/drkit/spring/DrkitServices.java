package dev.drkit.spring;

import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.plan.RecoveryPlan;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The started failover engine of every service of the plan, tied to the application context:
 * started when the context is refreshed (each engine takes or waits for its coordinator's lease
 * and resumes its stored state), closed when the context shuts down, with whatever else was
 * registered to run with them (the detectors and their bridges).
 */
public final class DrkitServices implements SmartLifecycle {
  private static final Logger LOG = LoggerFactory.getLogger(DrkitServices.class);
  private final RecoveryPlan plan;
  private final Map<String, FailoverEngine> engines;
  private final List<Runnable> starters = new ArrayList<>();
  private final List<AutoCloseable> closers = new ArrayList<>();
  private volatile boolean running;

  /**
   * @param plan the loaded recovery plan
   * @param engines the engine of every service, by name
   */
  public DrkitServices(RecoveryPlan plan, Map<String, FailoverEngine> engines) {
    this.plan = Objects.requireNonNull(plan, "plan");
    this.engines = new LinkedHashMap<>(engines);
  }

  /** @return the plan */
  public RecoveryPlan plan() {
    return plan;
  }

  /** @return the engines by service name, in the plan's recovery order */
  public Map<String, FailoverEngine> engines() {
    return Map.copyOf(engines);
  }

  /**
   * @param service a service of the plan
   * @return its engine
   * @throws IllegalArgumentException for a service the plan does not have
   */
  public FailoverEngine engine(String service) {
    FailoverEngine e = engines.get(service);
    if (e == null) {
      throw new IllegalArgumentException("the drkit plan has no service '" + service + "'; it has "
          + engines.keySet());
    }
    return e;
  }

  /**
   * Registers something to start after the engines and close before them (a detector).
   *
   * @param start starts it
   * @param close closes it
   */
  void alongside(Runnable start, AutoCloseable close) {
    starters.add(start);
    closers.add(0, close);
  }

  @Override
  public void start() {
    engines.values().forEach(FailoverEngine::start);
    starters.forEach(Runnable::run);
    running = true;
    LOG.info("drkit started {} services: {}", engines.size(), engines.keySet());
  }

  @Override
  public void stop() {
    running = false;
    for (AutoCloseable c : closers) {
      try {
        c.close();
      } catch (Exception e) {
        LOG.warn("closing {} failed", c, e);
      }
    }
    engines.values().forEach(FailoverEngine::close);
  }

  @Override
  public boolean isRunning() {
    return running;
  }
}
