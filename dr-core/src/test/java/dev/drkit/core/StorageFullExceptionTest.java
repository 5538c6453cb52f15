package dev.drkit.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class StorageFullExceptionTest {
  @Test
  void isAStorageExceptionCarryingTargetSpaceAndCause() {
    IOException cause = new IOException("No space left on device");
    StorageFullException e = new StorageFullException("disk full writing data/ab", "data/ab", 4096, cause);
    assertThat(e).isInstanceOf(StorageException.class).isInstanceOf(DrException.class)
        .hasMessage("disk full writing data/ab").hasCause(cause);
    assertThat(e.target()).isEqualTo("data/ab");
    assertThat(e.usableBytes()).hasValue(4096);
  }

  @Test
  void unknownSpaceIsEmpty() {
    StorageFullException e = new StorageFullException("disk full", "k", -1, null);
    assertThat(e.usableBytes()).isEmpty();
    assertThat(e.getCause()).isNull();
  }
}
