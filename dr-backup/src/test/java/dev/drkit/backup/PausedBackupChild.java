package dev.drkit.backup;

import dev.drkit.core.spi.BlobStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Child process of {@link PausedBackupProcessTest}: backs up a directory into a repository with a
 * short lock lease; just before it writes the snapshot it prints {@code at-commit} and waits for a
 * line on standard input, so the parent can SIGSTOP it at that point. Prints {@code stored <id>}
 * and exits 0 on success, prints {@code failed <exception class>: <message>} and exits 1 otherwise.
 */
public final class PausedBackupChild {
  private PausedBackupChild() {}

  /**
   * @param args repository dir, source dir, lease in seconds
   */
  public static void main(String[] args) {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    BlobStore store = new Gate(new FileSystemBlobStore(Path.of(args[0])), in);
    RepositoryOptions opts = RepositoryOptions.builder().lockLease(Duration.ofSeconds(Long.parseLong(args[2])))
        .build();
    try (Repository repo = Repository.open(store, null, opts)) {
      Snapshot s = repo.backup(BackupRequest.of(FileTreeSource.of(Path.of(args[1]))));
      System.out.println("stored " + s.id());
      System.out.flush();
      System.exit(0);
    } catch (RuntimeException e) {
      System.out.println("failed " + e.getClass().getName() + ": " + e.getMessage());
      System.out.flush();
      System.exit(1);
    }
  }

  /** Delegates; holds the first snapshot write until a line arrives on standard input. */
  private static final class Gate extends ForwardingBlobStore {
    private final BufferedReader in;
    private boolean held;

    Gate(BlobStore d, BufferedReader in) {
      super(d);
      this.in = in;
    }

    @Override
    public synchronized boolean putIfAbsent(String key, byte[] content) {
      if (key.startsWith("snapshots/") && !held) {
        held = true;
        System.out.println("at-commit");
        System.out.flush();
        try {
          in.readLine();
        } catch (java.io.IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return delegate.putIfAbsent(key, content);
    }
  }
}
