package dev.drkit.backup;

import dev.drkit.core.config.EncryptionConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Child process of {@link CrashTest}: writes {@code gen-i} (deterministic random content) into the
 * source and backs it up, for i from the number of existing snapshots up to a limit, printing a
 * line for every progress report so the parent can kill it at a random moment.
 */
public final class BackupChild {
  private BackupChild() {}

  /**
   * @param args repository dir, source dir, number of snapshots to reach
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    Path repoDir = Path.of(args[0]);
    Path src = Path.of(args[1]);
    int upTo = Integer.parseInt(args[2]);
    FileSystemBlobStore store = new FileSystemBlobStore(repoDir);
    RepositoryOptions opts = RepositoryOptions.builder().packSize(1 << 20).parallelism(2).build();
    Repository repo = Repository.exists(store) ? Repository.open(store, null, opts)
        : Repository.init(store, EncryptionConfig.none(), null, opts);
    for (int i = repo.snapshots().size(); i < upTo; i++) {
      Files.write(src.resolve("gen-" + i), content(i));
      System.out.println("writing " + i);
      System.out.flush();
      Snapshot s = repo.backup(BackupRequest.builder(FileTreeSource.of(src)).tag("gen-" + i)
          .listener(p -> {
            System.out.println("progress " + p.bytesDone());
            System.out.flush();
          }).build());
      System.out.println("snapshot " + s.id());
      System.out.flush();
    }
    System.out.println("done");
  }

  static byte[] content(int i) {
    byte[] b = new byte[3_000_000 + i * 1000];
    new Random(i).nextBytes(b);
    return b;
  }
}
