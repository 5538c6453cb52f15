package dev.drkit.backup.internal;

import dev.drkit.backup.RepositoryOptions;
import dev.drkit.core.EventBus;
import dev.drkit.core.spi.BlobStore;
import dev.drkit.core.spi.DrEvent;
import java.time.Clock;
import java.util.Map;

/**
 * Everything an operation needs from an open repository.
 *
 * @param store the blob store
 * @param repoId the repository id
 * @param crypto encrypts and authenticates every blob with the repository's keys
 * @param codec the blob codec
 * @param chunker cuts file contents into content-defined chunks
 * @param options the handle's options
 */
public record Ctx(BlobStore store, String repoId, Crypto crypto, BlobCodec codec, Chunker chunker,
    RepositoryOptions options) {
  /** @return the clock */
  public Clock clock() {
    return options.clock();
  }

  /** @return the bus */
  public EventBus events() {
    return options.events();
  }

  /**
   * Publishes an event with the repository id attached.
   *
   * @param severity how serious the event is
   * @param type the dotted type
   * @param message the sentence
   * @param kv attribute name/value pairs
   */
  public void event(DrEvent.Severity severity, String type, String message, Object... kv) {
    DrEvent e = new DrEvent(clock().instant(), type, severity, null, 0, message, Map.of()).with("repository", repoId);
    for (int i = 0; i + 1 < kv.length; i += 2) {
      e = e.with(String.valueOf(kv[i]), kv[i + 1]);
    }
    events().publish(e);
  }
}
