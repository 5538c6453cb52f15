package dev.drkit.core.coord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.LeadershipLostException;
import dev.drkit.core.spi.Lease;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LocalCoordinatorTest {
  @Test
  void grantsLeadershipAtOnceAndKeepsTheSameTerm() {
    try (LocalCoordinator c = new LocalCoordinator()) {
      assertThat(c.currentLease()).isEmpty();
      Lease a = c.awaitLeadership(Duration.ZERO).orElseThrow();
      assertThat(a.token()).isEqualTo(1);
      assertThat(a.isValid()).isTrue();
      assertThat(c.awaitLeadership(Duration.ofSeconds(1)).orElseThrow()).isSameAs(a);
      assertThat(c.currentLease()).containsSame(a);
    }
  }

  @Test
  void everyNewTermHasAGreaterTokenAndOldLeasesStayInvalid() {
    try (LocalCoordinator c = new LocalCoordinator(41)) {
      Lease first = c.awaitLeadership(Duration.ZERO).orElseThrow();
      assertThat(first.token()).isEqualTo(42);
      c.relinquish();
      assertThat(first.isValid()).isFalse();
      assertThatThrownBy(first::ensureValid).isInstanceOf(LeadershipLostException.class).hasMessageContaining("42");
      Lease second = c.awaitLeadership(Duration.ZERO).orElseThrow();
      assertThat(second.token()).isGreaterThan(first.token());
      assertThat(first.isValid()).isFalse();
    }
  }

  @Test
  void closingEndsLeadershipForGood() {
    LocalCoordinator c = new LocalCoordinator();
    Lease lease = c.awaitLeadership(Duration.ZERO).orElseThrow();
    c.close();
    assertThat(lease.isValid()).isFalse();
    assertThat(c.awaitLeadership(Duration.ZERO)).isEmpty();
    assertThat(c.currentLease()).isEmpty();
  }

  @Test
  void rejectsNegativeStartingToken() {
    assertThatThrownBy(() -> new LocalCoordinator(-1)).isInstanceOf(IllegalArgumentException.class);
  }
}
