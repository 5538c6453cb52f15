package dev.drkit.core;

import dev.drkit.core.config.RecoveryConfig;
import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.coord.LocalCoordinator;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.internal.DrkitThreads;
import dev.drkit.core.store.InMemoryStateStore;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.Site;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DrkitThreadingTest {
  private final List<Thread> made = Collections.synchronizedList(new ArrayList<>());
  /** The application's factory: non-daemon threads of its own group, so they can be told apart. */
  private final ThreadGroup appGroup = new ThreadGroup("app");
  private final ThreadFactory appFactory = r -> {
    Thread t = new Thread(appGroup, r, "app-thread");
    made.add(t);
    return t;
  };

  @AfterEach
  void reset() {
    DrkitThreading.resetDefaultThreadFactory();
  }

  @Test
  void withoutADefaultFactoryDrkitMakesPlainNamedThreads() {
    assertThat(DrkitThreading.defaultThreadFactory()).isNull();
    Thread t = DrkitThreads.create(() -> {}, "drkit-x", true);
    assertThat(t.getName()).isEqualTo("drkit-x");
    assertThat(t.isDaemon()).isTrue();
    assertThat(made).isEmpty();
  }

  @Test
  void theApplicationsDefaultFactoryMakesEveryThreadDrkitCreatesWithoutOneOfItsOwn() {
    DrkitThreading.setDefaultThreadFactory(appFactory);
    Thread t = DrkitThreads.create(() -> {}, "drkit-lock-refresh", true);
    assertThat(made).containsExactly(t);
    assertThat(t.getThreadGroup()).isSameAs(appGroup);
    assertThat(t.getName()).as("drkit still names it").isEqualTo("drkit-lock-refresh");
    assertThat(t.isDaemon()).as("and keeps it from holding the JVM up").isTrue();
    Thread numbered = DrkitThreads.daemon("drkit-recovery").newThread(() -> {});
    assertThat(made).contains(numbered);
    assertThat(numbered.getName()).isEqualTo("drkit-recovery-1");
  }

  @Test
  void anEnginesLeadershipThreadComesFromTheDefaultFactoryWhenTheBuilderGotNone() {
    DrkitThreading.setDefaultThreadFactory(appFactory);
    FailoverActions actions = new FailoverActions() {
      @Override
      public void fence(String service, Site site, long epoch) {}

      @Override
      public void promote(String service, Site site, long epoch) {}

      @Override
      public void redirect(String service, Site site, long epoch) {}

      @Override
      public void resync(String service, Site target, Site source, long epoch) {}
    };
    try (FailoverEngine engine = FailoverEngine.builder(RecoveryConfig.builder("orders").rpo(Duration.ofMinutes(1))
        .rto(Duration.ofMinutes(5)).build()).stateStore(new InMemoryStateStore()).actions(actions)
        .coordinator(new LocalCoordinator()).eventBus(new EventBus()).build()) {
      engine.start();
      assertThat(made).as("the leadership thread").isNotEmpty()
          .allSatisfy(t -> assertThat(t.getName()).startsWith("drkit-"));
    }
  }

  @Test
  void aFactoryIsRequired() {
    org.assertj.core.api.Assertions.assertThatNullPointerException()
        .isThrownBy(() -> DrkitThreading.setDefaultThreadFactory(null)).withMessageContaining("factory");
  }
}
