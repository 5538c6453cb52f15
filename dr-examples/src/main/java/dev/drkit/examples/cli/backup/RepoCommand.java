package dev.drkit.examples.cli.backup;

import dev.drkit.backup.FileSystemBlobStore;
import dev.drkit.backup.Progress;
import dev.drkit.backup.ProgressListener;
import dev.drkit.backup.Repository;
import dev.drkit.backup.RepositoryLockedException;
import dev.drkit.backup.RepositoryNotFoundException;
import dev.drkit.backup.RepositoryOptions;
import dev.drkit.backup.UnsafePathException;
import dev.drkit.core.ConfigException;
import dev.drkit.core.DrException;
import dev.drkit.core.IntegrityException;
import dev.drkit.core.StorageException;
import dev.drkit.core.WrongKeyException;
import dev.drkit.s3.KeyLayout;
import dev.drkit.s3.S3BlobStore;
import dev.drkit.s3.S3Location;
import dev.drkit.core.spi.BlobStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * Base of the commands that work on a repository ({@code --repo DIR}): opening it with the
 * passphrase, a progress bar on a terminal, and the translation of failures into one clear line on
 * standard error and an exit code (0 success, 1 failure, 2 bad usage, 3 a backup's snapshot written
 * with skipped entries; picocli itself returns 2 for unparseable arguments).
 */
abstract class RepoCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(RepoCommand.class);
  /** Exit code of success. */
  static final int OK = 0;
  /** Exit code of a failure. */
  static final int FAILED = 1;
  /** Exit code of bad usage. */
  static final int USAGE = 2;
  /** Exit code of a backup that wrote its snapshot but had to skip entries. */
  static final int PARTIAL = 3;

  @Option(names = "--repo", required = true, paramLabel = "DIR|s3:URL",
      description = "the repository: a directory, or s3:http(s)://host:port/bucket/prefix"
          + " (credentials from the AWS SDK's default chain)")
  String repo;

  @Option(names = "--s3-key-layout", paramLabel = "plain|filesystem-safe", defaultValue = "plain",
      converter = KeyLayoutConverter.class,
      description = "how blob keys map to S3 object keys: plain (Amazon S3, Ceph, any flat object store; the"
          + " default) or filesystem-safe (servers that keep each object in a file, such as single-drive MinIO or"
          + " S3Proxy's filesystem backend). Every command on one repository must use the same layout.")
  KeyLayout keyLayout = KeyLayout.PLAIN;

  /** Parses {@code plain} / {@code filesystem-safe}. */
  static final class KeyLayoutConverter implements picocli.CommandLine.ITypeConverter<KeyLayout> {
    @Override
    public KeyLayout convert(String value) {
      return switch (value.toLowerCase(java.util.Locale.ROOT)) {
        case "plain" -> KeyLayout.PLAIN;
        case "filesystem-safe" -> KeyLayout.FILESYSTEM_SAFE;
        default -> throw new picocli.CommandLine.TypeConversionException(
            "'" + value + "' is not a key layout (expected plain or filesystem-safe)");
      };
    }
  }

  private CliEnv env;
  /** Whether {@link #open()} returned the repository (its config and a key slot are intact). */
  private boolean opened;

  RepoCommand(CliEnv env) {
    this.env = env;
  }

  CliEnv env() {
    return env;
  }

  void env(CliEnv env) {
    this.env = Objects.requireNonNull(env, "env");
  }

  /** @return the exit code */
  abstract int run() throws Exception;

  /** @return whether this command is {@code verify} (whose own failures need no hint to run it) */
  boolean verifies() {
    return false;
  }

  @Override
  public final Integer call() {
    try {
      return run();
    } catch (CliFailure e) {
      return fail(e.exitCode(), e.getMessage());
    } catch (RepositoryNotFoundException e) {
      return fail(FAILED, "no repository at " + repo + " (create one with 'drkit init --repo " + repo + "')");
    } catch (WrongKeyException e) {
      return fail(FAILED, "wrong passphrase for repository " + repo + ": no key slot opens with it");
    } catch (IntegrityException e) {
      // verify cannot help when the repository does not even open (config, key slots), nor itself
      return fail(FAILED, "repository " + repo + " is damaged: " + e.getMessage() + (!opened || verifies() ? ""
          : "\nrun 'drkit verify --repo " + repo + " --read-data' to list every damaged blob and what it breaks"));
    } catch (RepositoryLockedException e) {
      return fail(FAILED, "repository " + repo + " is locked: " + e.getMessage());
    } catch (UnsafePathException e) {
      // the message says what was refused: an entry leaving the target, a link or a directory in the way
      return fail(FAILED, "restore refused: " + e.getMessage() + "; nothing was written outside the target");
    } catch (ConfigException | dev.drkit.backup.InvalidSnapshotIdException e) {
      return fail(USAGE, e.getMessage());
    } catch (StorageException e) {
      return fail(FAILED, e.getMessage() + (e.getCause() == null ? "" : " (" + e.getCause().getMessage() + ")"));
    } catch (DrException | IllegalArgumentException | IllegalStateException e) {
      return fail(FAILED, e.getMessage());
    } catch (IOException | UncheckedIOException e) {
      return fail(FAILED, "I/O error: " + e.getMessage());
    } catch (Exception e) {
      LOG.error("unexpected failure", e);
      return fail(FAILED, "unexpected failure: " + e);
    }
  }

  private int fail(int code, String message) {
    env.err().println("drkit: " + message);
    env.err().flush();
    return code;
  }

  RepositoryOptions options() {
    return options(env.clock());
  }

  /**
   * @param clock the commands' clock
   * @return the options every command opens its repository with ({@link EarlyOpen} opens with them too)
   */
  static RepositoryOptions options(java.time.Clock clock) {
    return RepositoryOptions.builder().clock(clock).build();
  }

  /** @return whether {@code --repo} names an S3 location rather than a directory */
  boolean onS3() {
    return repo.startsWith("s3:");
  }

  /** @return the repository directory ({@code --repo} must not be an S3 location) */
  Path repoDir() {
    return Path.of(repo);
  }

  /**
   * @param creating whether a missing S3 bucket may be created ({@code init})
   * @return the blob store {@code --repo} names
   */
  BlobStore store(boolean creating) {
    if (onS3()) {
      return S3BlobStore.builder(S3Location.parse(repo)).keyLayout(keyLayout).createBucketIfMissing(creating).build();
    }
    return new FileSystemBlobStore(repoDir());
  }

  /** Opens the existing repository, never creating its directory or bucket. */
  Repository open() {
    Repository r = openRepository();
    opened = true;
    return r;
  }

  private Repository openRepository() {
    EarlyOpen early = env.earlyOpen();
    if (early != null && !onS3()) {
      // opened while picocli set the command line up, when it is the repository this command names
      Repository r = early.claim(repo, env.getenv(Passphrases.PASSWORD_ENV), env.clock());
      if (r != null) {
        return r;
      }
    }
    if (!onS3() && !Files.isDirectory(repoDir())) {
      throw new RepositoryNotFoundException("no directory " + repo);
    }
    BlobStore store = store(false);
    if (!Repository.exists(store)) {
      throw new RepositoryNotFoundException("no config in " + repo);
    }
    if (env.getenv(Passphrases.PASSWORD_ENV) == null) {
      // An unencrypted repository needs no passphrase: do not ask for one it would ignore.
      try {
        return Repository.open(store, null, options());
      } catch (WrongKeyException e) {
        if (env.prompt() == null) {
          throw new CliFailure(FAILED, "repository " + repo + " is encrypted: set " + Passphrases.PASSWORD_ENV
              + " or run on a terminal to be asked for the passphrase");
        }
      }
    }
    char[] pass = Passphrases.current(env, repo);
    try {
      return Repository.open(store, pass, options());
    } finally {
      Arrays.fill(pass, '\0');
    }
  }

  /** @return a listener drawing a progress bar on standard error when on a terminal */
  ProgressListener progress() {
    if (!env.terminal()) {
      return ProgressListener.NONE;
    }
    ProgressBar bar = new ProgressBar(env.err(), true);
    return (Progress p) -> bar.update(p.operation(), p.fraction(), p.filesDone(), p.bytesDone(), p.bytesTotal(),
        p.bytesPerSecond(), p.eta().orElse(null), p.done());
  }
}
