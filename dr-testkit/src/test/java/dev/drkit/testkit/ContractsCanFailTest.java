package dev.drkit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.drkit.core.spi.Coordinator;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.Lease;
import dev.drkit.core.spi.Site;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The new suites can fail: run with the JUnit launcher against deliberately broken implementations,
 * exactly the checks that cover the defect fail, and the rest pass.
 */
class ContractsCanFailTest {
  private static Set<String> failures(Class<?> suite) {
    Set<String> failed = new TreeSet<>();
    LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectClass(suite)).build();
    LauncherFactory.create().execute(request, new TestExecutionListener() {
      @Override
      public void executionFinished(TestIdentifier id, TestExecutionResult result) {
        if (id.isTest() && result.getStatus() == TestExecutionResult.Status.FAILED) {
          failed.add(id.getDisplayName().replace("()", ""));
        }
      }
    });
    return failed;
  }

  /** A coordinator that reuses its token for every term. */
  static final class ReusedTokenCoordinator implements Coordinator {
    private Lease lease = new Fixed();
    private boolean closed;

    private static final class Fixed implements Lease {
      volatile boolean valid = true;

      @Override
      public long token() {
        return 7;
      }

      @Override
      public boolean isValid() {
        return valid;
      }
    }

    @Override
    public synchronized Optional<Lease> awaitLeadership(Duration timeout) {
      if (closed) {
        return Optional.empty();
      }
      if (!lease.isValid()) {
        lease = new Fixed();
      }
      return Optional.of(lease);
    }

    @Override
    public synchronized Optional<Lease> currentLease() {
      return lease.isValid() ? Optional.of(lease) : Optional.empty();
    }

    synchronized void end() {
      ((Fixed) lease).valid = false;
    }

    @Override
    public synchronized void close() {
      end();
      closed = true;
    }
  }

  /** Runs the Coordinator suite over {@link ReusedTokenCoordinator}. */
  static final class ReusedTokenSuite extends CoordinatorContract {
    @Override
    protected Coordinator createCoordinator() {
      return new ReusedTokenCoordinator();
    }

    @Override
    protected void endTerm(Coordinator coordinator) {
      ((ReusedTokenCoordinator) coordinator).end();
    }
  }

  /** Actions that do what they are told, whatever the epoch. */
  static final class EpochBlindActions implements FailoverActions {
    final Map<Site, Boolean> writable = new EnumMap<>(Map.of(Site.PRIMARY, true, Site.BACKUP, false));
    Site traffic = Site.PRIMARY;

    @Override
    public void fence(String service, Site site, long epoch) {
      writable.put(site, false);
    }

    @Override
    public void promote(String service, Site site, long epoch) {
      writable.put(site, true);
    }

    @Override
    public void redirect(String service, Site site, long epoch) {
      traffic = site;
    }

    @Override
    public void resync(String service, Site target, Site source, long epoch) {}

    @Override
    public void demote(String service, Site site, long epoch) {
      writable.put(site, false);
    }
  }

  /** Runs the FailoverActions suite over {@link EpochBlindActions}. */
  static final class EpochBlindSuite extends FailoverActionsContract {
    @Override
    protected FailoverActions createActions() {
      return new EpochBlindActions();
    }

    @Override
    protected boolean acceptsWrites(Site site) {
      return ((EpochBlindActions) actions).writable.get(site);
    }

    @Override
    protected Optional<Site> trafficGoesTo() {
      return Optional.of(((EpochBlindActions) actions).traffic);
    }
  }

  @Test
  void coordinatorSuiteCatchesATokenReusedAcrossTerms() {
    assertThat(failures(ReusedTokenSuite.class)).containsExactlyInAnyOrder(
        "anEndedLeaseIsInvalidForGoodAndNoLongerReported", "tokensStrictlyIncreaseFromTermToTerm");
  }

  @Test
  void failoverActionsSuiteCatchesActionsThatIgnoreEpochs() {
    assertThat(failures(EpochBlindSuite.class)).containsExactlyInAnyOrder(
        "aLatePromoteAtAnOlderEpochIsRefusedAndChangesNothing", "aLateFenceAtAnOlderEpochIsRefusedAndChangesNothing",
        "aLateDemoteAtAnOlderEpochIsRefusedAndChangesNothing", "aLateRedirectAtAnOlderEpochIsRefusedAndChangesNothing",
        "theLateCallsOfADeposedLeaderAfterARollbackAreRefused");
  }

  @Test
  void failoverActionsSuitePassesTheReferenceDouble() {
    assertThat(failures(InMemoryFailoverActionsContractTest.class)).isEmpty();
  }
}
