package dev.drkit.core.store;

import dev.drkit.core.FailoverState;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * Child process of {@link FileStateStoreKillTest}: writes states in a loop and prints every
 * acknowledged version, until it is killed.
 */
public final class FileStateStoreCrashChild {
  private FileStateStoreCrashChild() {}

  /**
   * @param args the state directory
   */
  public static void main(String[] args) {
    FileStateStore store = FileStateStore.open(Path.of(args[0]));
    String filler = "x".repeat(4096);
    while (true) {
      for (String service : new String[] {"orders", "billing"}) {
        long v = store.load(service).map(x -> x.version()).orElse(0L);
        long next = v + 1;
        store.compareAndSet(service, v, expected(service, next, filler));
        System.out.println("acked " + service + " " + next);
        System.out.flush();
      }
    }
  }

  static ServiceState expected(String service, long version, String filler) {
    return new ServiceState(service, FailoverState.values()[(int) (version % FailoverState.values().length)],
        version, Site.PRIMARY, Instant.EPOCH.plusSeconds(version), "write " + version, Map.of("filler", filler));
  }
}
