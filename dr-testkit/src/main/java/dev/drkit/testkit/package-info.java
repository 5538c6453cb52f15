/**
 * drkit's test kit: contract suites every implementation of the SPI passes
 * ({@link dev.drkit.testkit.StateStoreContract}, {@link dev.drkit.testkit.BlobStoreContract},
 * {@link dev.drkit.testkit.CoordinatorContract}, {@link dev.drkit.testkit.FailoverActionsContract}),
 * a reference {@link dev.drkit.core.spi.FailoverActions} double
 * ({@link dev.drkit.testkit.InMemoryFailoverActions}) and the one fake clock
 * ({@link dev.drkit.testkit.FakeClock}). Add {@code dev.drkit:dr-testkit} with test scope: it brings
 * JUnit Jupiter, AssertJ and Awaitility with it.
 */
@NullMarked
package dev.drkit.testkit;

import org.jspecify.annotations.NullMarked;
