package dev.drkit.core.spi;

/**
 * One of a protected service's two sites. {@link #PRIMARY} is where the service normally runs,
 * {@link #BACKUP} where it runs after a failover. Which one is active at a given moment is the
 * failover state machine's business, not the site's name.
 */
public enum Site {
  /** The site the service normally runs on. */
  PRIMARY,
  /** The site that takes over on a failover. */
  BACKUP;

  /** @return the other site */
  public Site other() {
    return this == PRIMARY ? BACKUP : PRIMARY;
  }
}
