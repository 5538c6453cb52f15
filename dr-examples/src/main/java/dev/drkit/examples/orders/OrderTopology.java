package dev.drkit.examples.orders;

import dev.drkit.core.spi.Site;

/**
 * Where the orders service's checks find things: the site behind each {@link Site} and the router
 * clients use. Production has one topology; a drill's isolated copy has its own.
 */
public interface OrderTopology {
  /**
   * @param site which site
   * @return the order site behind it
   */
  OrderSite site(Site site);

  /** @return the router clients use */
  Router router();

  /**
   * @param site which site
   * @return whether the router currently sends client traffic to it
   */
  default boolean routed(Site site) {
    return router().route().map(r -> r.siteName().equals(site(site).name())).orElse(false);
  }
}
