package dev.drkit.benchmarks.backup;

import dev.drkit.backup.BackupRequest;
import dev.drkit.backup.FileSystemBlobStore;
import dev.drkit.backup.FileTreeSource;
import dev.drkit.backup.Repository;
import dev.drkit.backup.RepositoryOptions;
import dev.drkit.backup.RestoreResult;
import dev.drkit.backup.Snapshot;
import dev.drkit.core.BackupType;
import dev.drkit.core.EncryptionConfig;
import java.nio.file.Path;

/**
 * A minimal command line for {@code benchmarks/peers/compare-backup.sh}: {@code init REPO},
 * {@code backup REPO DIR [full|incremental]}, {@code restore REPO TARGET}; the passphrase comes from
 * {@code DRKIT_PASSWORD}. Prints one line of statistics per command.
 */
public final class DrkitBackupMain {
  private DrkitBackupMain() {}

  /**
   * @param args the command
   */
  public static void main(String[] args) {
    String pw = System.getenv("DRKIT_PASSWORD");
    char[] pass = pw == null ? null : pw.toCharArray();
    RepositoryOptions opts = RepositoryOptions.defaults();
    FileSystemBlobStore store = new FileSystemBlobStore(Path.of(args[1]));
    switch (args[0]) {
      case "init":
        Repository.init(store, pass == null ? EncryptionConfig.none() : EncryptionConfig.aes256Gcm("env:DRKIT_PASSWORD"),
            pass, opts).close();
        System.out.println("initialized " + args[1]);
        break;
      case "backup": {
        try (Repository repo = Repository.open(store, pass, opts)) {
          BackupType type = args.length > 3 ? BackupType.parse(args[3]) : BackupType.INCREMENTAL;
          Snapshot s = repo.backup(BackupRequest.builder(FileTreeSource.of(Path.of(args[2]))).type(type).build());
          System.out.println("snapshot " + s.shortId() + " " + s.stats());
        }
        break;
      }
      case "restore": {
        try (Repository repo = Repository.open(store, pass, opts)) {
          RestoreResult r = repo.restore("latest", Path.of(args[2]));
          System.out.println("restored " + r);
        }
        break;
      }
      default:
        System.err.println("usage: init REPO | backup REPO DIR [full|incremental] | restore REPO TARGET");
        System.exit(2);
    }
  }
}
