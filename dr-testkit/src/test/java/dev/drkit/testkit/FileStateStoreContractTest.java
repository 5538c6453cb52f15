package dev.drkit.testkit;

import dev.drkit.core.store.FileStateStore;
import dev.drkit.core.spi.StateStore;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;

/** dr-core's FileStateStore passes the StateStore contract, durable across a reopen. */
class FileStateStoreContractTest extends StateStoreContract {
  @TempDir
  Path dir;

  @Override
  protected StateStore createStore() {
    return FileStateStore.open(dir);
  }

  @Override
  protected int attemptsPerThread() {
    return 60; // every write is fsynced twice; keep the suite fast
  }

  @Override
  protected Optional<StateStore> reopen(StateStore old) {
    old.close();
    return Optional.of(FileStateStore.open(dir));
  }
}
