package dev.drkit.core.spi;

/**
 * A probe of one aspect of a site: reachable, answering, data intact, fast enough.
 *
 * <p>Contract:
 * <ul>
 *   <li>Thread-safe: the same instance may be probed concurrently (for different sites or by
 *       several consumers).</li>
 *   <li>Honours interruption: a probe that blocks must give up promptly when its thread is
 *       interrupted. The runner cuts a probe off at {@link CheckContext#timeout()} in any case
 *       and counts it as failed, so a probe that ignores interruption only wastes a thread.</li>
 *   <li>Reports unhealthiness by returning {@link HealthResult#unhealthy(String)}; throwing any
 *       exception, or returning {@code null}, also counts as unhealthy (the exception's message
 *       becomes the detail).</li>
 *   <li>Side-effect free, except synthetic transactions, which clean up after themselves.</li>
 * </ul>
 */
@FunctionalInterface
public interface HealthCheck {
  /**
   * Probes once.
   *
   * @param context what to probe and under which epoch
   * @return the result, never null
   * @throws Exception any failure, counted as unhealthy
   */
  HealthResult check(CheckContext context) throws Exception;
}
