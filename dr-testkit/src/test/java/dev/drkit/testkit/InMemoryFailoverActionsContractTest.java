package dev.drkit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.StaleEpochException;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.Site;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The reference double passes the FailoverActions contract, plus what it records and refuses. */
class InMemoryFailoverActionsContractTest extends FailoverActionsContract {
  private InMemoryFailoverActions sites;

  @Override
  protected FailoverActions createActions() {
    sites = new InMemoryFailoverActions(service(), initialEpoch());
    return sites;
  }

  @Override
  protected boolean acceptsWrites(Site site) {
    return sites.isWritable(site);
  }

  @Override
  protected Optional<Site> trafficGoesTo() {
    return Optional.of(sites.trafficTarget());
  }

  @Test
  void recordsAcceptedCallsOnlyAndNamesTheStaleEpoch() {
    sites.fence("orders", Site.PRIMARY, 2);
    assertThatThrownBy(() -> sites.promote("orders", Site.PRIMARY, 1))
        .isInstanceOfSatisfying(StaleEpochException.class, e -> {
          assertThat(e.attemptedEpoch()).isEqualTo(1);
          assertThat(e.currentEpoch()).isEqualTo(2);
        })
        .hasMessageContaining("promote of PRIMARY for orders");
    assertThat(sites.calls()).containsExactly(new InMemoryFailoverActions.Call("fence", "orders", Site.PRIMARY, 2));
    assertThat(sites.newestEpoch(Site.PRIMARY)).isEqualTo(2);
  }

  @Test
  void refusesAnotherService() {
    assertThatThrownBy(() -> sites.fence("billing", Site.PRIMARY, 2)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("billing").hasMessageContaining("orders");
    assertThat(sites.calls()).isEmpty();
  }
}
