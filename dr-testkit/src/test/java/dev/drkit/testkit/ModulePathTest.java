package dev.drkit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.EventBus;
import org.junit.jupiter.api.Test;

/**
 * dr-testkit's tests run on the module path (see its pom): this suite, patched into the named
 * module {@code dev.drkit.testkit}, sees dr-core as the named module {@code dev.drkit.core}, with
 * exactly what a user's modular test suite sees.
 */
class ModulePathTest {
  @Test
  void theSuitesRunInsideTheNamedTestkitModule() {
    Module testkit = ModulePathTest.class.getModule();
    assertThat(testkit.isNamed()).as("tests run on the module path").isTrue();
    assertThat(testkit.getName()).isEqualTo("dev.drkit.testkit");
    assertThat(FakeClock.class.getModule()).isSameAs(testkit);
    assertThat(EventBus.class.getModule().getName()).isEqualTo("dev.drkit.core");
  }

  @Test
  void theCoresInternalPackageIsClosedToTheTestkit() throws Exception {
    Module core = EventBus.class.getModule();
    Module testkit = ModulePathTest.class.getModule();
    assertThat(core.getPackages()).contains("dev.drkit.core.internal");
    assertThat(core.isExported("dev.drkit.core.internal", testkit)).isFalse();
    assertThat(core.isExported("dev.drkit.core.spi", testkit)).isTrue();
    Class<?> internal = Class.forName("dev.drkit.core.internal.DrkitThreads");
    assertThatThrownBy(() -> internal.getMethod("daemon", String.class).invoke(null, "x"))
        .isInstanceOf(IllegalAccessException.class);
  }
}
