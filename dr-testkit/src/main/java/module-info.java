/**
 * drkit's test kit: the SPI contract suites, a reference FailoverActions double and the shared fake
 * clock. Open, so that JUnit may run the suites' non-public test methods on the module path too.
 */
open module dev.drkit.testkit {
  exports dev.drkit.testkit;

  requires transitive dev.drkit.core;
  requires transitive org.junit.jupiter.api;
  requires transitive org.junit.jupiter.params;
  requires transitive org.assertj.core;
  // Awaitility 4.3.0 has neither a descriptor nor an Automatic-Module-Name: its name is derived from
  // the jar's file name.
  requires awaitility;
}
