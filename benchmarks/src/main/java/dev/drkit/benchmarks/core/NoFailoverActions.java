package dev.drkit.benchmarks.core;

import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.Site;

/** Failover actions that do nothing, for benchmarks that measure the engine rather than the sites. */
public final class NoFailoverActions implements FailoverActions {
  /** The one instance (it holds no state). */
  public static final NoFailoverActions INSTANCE = new NoFailoverActions();

  private NoFailoverActions() {}

  @Override
  public void fence(String service, Site site, long epoch) {}

  @Override
  public void promote(String service, Site site, long epoch) {}

  @Override
  public void redirect(String service, Site site, long epoch) {}

  @Override
  public void resync(String service, Site target, Site source, long epoch) {}
}
