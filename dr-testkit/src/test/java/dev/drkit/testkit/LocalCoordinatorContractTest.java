package dev.drkit.testkit;

import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.spi.Coordinator;

/** dr-core's single-process LocalCoordinator passes the Coordinator contract (its instances do not compete). */
class LocalCoordinatorContractTest extends CoordinatorContract {
  @Override
  protected Coordinator createCoordinator() {
    return new LocalCoordinator();
  }

  @Override
  protected void endTerm(Coordinator coordinator) {
    ((LocalCoordinator) coordinator).relinquish();
  }
}
