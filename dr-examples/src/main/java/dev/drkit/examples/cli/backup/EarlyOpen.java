package dev.drkit.examples.cli.backup;

import dev.drkit.backup.FileSystemBlobStore;
import dev.drkit.backup.Repository;
import dev.drkit.core.spi.BlobStore;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;

/**
 * Opens the repository a command line names on a thread of its own, started before anything else
 * the process does, so that deriving the key from the passphrase (the 600,000 PBKDF2 iterations the
 * repository format requires, the largest single part of a short command's start-up) runs on the
 * second core while picocli builds and parses the command line and the command checks its
 * arguments. The command then {@linkplain #claim takes} that repository instead of opening its own.
 *
 * <p>The command line is read here before picocli reads it, so this only guesses: it opens early
 * only for a command that opens an existing repository ({@code backup}, {@code snapshots},
 * {@code restore}, {@code verify}, {@code forget}, {@code prune}, {@code key}), with one
 * {@code --repo} naming an existing directory (not S3), the passphrase in {@code DRKIT_PASSWORD}, and
 * no help, version or {@code @file} argument. A command takes the early repository only when it
 * would have opened the same one the same way (the same {@code --repo}, passphrase and clock, from
 * which {@link RepoCommand} builds its options); otherwise the early one is closed and the command
 * opens its own, so a wrong guess costs CPU, never a different result. The early open reads the
 * repository's config and key slots and writes nothing; a directory that does not exist is not
 * created. When it fails (a wrong passphrase, a damaged key slot), the command that claims it fails
 * with the same exception it would have got opening the repository itself.
 */
public final class EarlyOpen implements AutoCloseable {
  private static final Set<String> COMMANDS = Set.of("backup", "snapshots", "restore", "verify", "forget", "prune",
      "key");
  private static final Set<String> NO_OPEN = Set.of("-h", "--help", "-V", "--version", "help");
  private static volatile @Nullable EarlyOpen process;

  private final String repo;
  private final String passphrase;
  private final Clock clock;
  private final CompletableFuture<@Nullable Repository> opened;
  private boolean taken; // guarded by this

  private EarlyOpen(String repo, String passphrase, Clock clock) {
    this.repo = repo;
    this.passphrase = passphrase;
    this.clock = clock;
    this.opened = new CompletableFuture<>();
  }

  /**
   * Starts opening the repository {@code args} names, for the commands of this process: what
   * {@link CliEnv#system()} hands them. Called once, first thing, by the tool's {@code main}.
   *
   * @param args the process's command line
   */
  public static void startForProcess(String[] args) {
    CliEnv env = CliEnv.system();
    process = start(args, env.getenv(Passphrases.PASSWORD_ENV), env.clock());
  }

  /** @return the early open {@link #startForProcess} started, or {@code null} */
  static @Nullable EarlyOpen forProcess() {
    return process;
  }

  /**
   * Starts opening, on a daemon thread, the repository {@code args} names, when it is worth it (see
   * the class comment).
   *
   * @param args a command line of the tool
   * @param passphrase the value of {@code DRKIT_PASSWORD}, or {@code null} when it is not set
   * @param clock the clock the commands will run with
   * @return the open under way, or {@code null} when the command line is not one to open early
   */
  public static @Nullable EarlyOpen start(String[] args, @Nullable String passphrase, Clock clock) {
    Objects.requireNonNull(args, "args");
    Objects.requireNonNull(clock, "clock");
    String repo = repoArgument(args);
    if (repo == null || passphrase == null) {
      return null;
    }
    Path dir;
    try {
      dir = Path.of(repo);
    } catch (InvalidPathException e) {
      return null;
    }
    EarlyOpen early = new EarlyOpen(repo, passphrase, clock);
    Thread t = new Thread(() -> early.open(dir), "drkit-early-open");
    t.setDaemon(true);
    t.start();
    return early;
  }

  /**
   * The {@code --repo} of a command line that opens an existing repository, read the way picocli
   * will read it when the guess is right.
   *
   * @param args a command line of the tool
   * @return the single {@code --repo} value, or {@code null} when the command does not open a
   *     repository, asks for help or a version, reads an {@code @file}, names S3, or gives
   *     {@code --repo} other than exactly once
   */
  static @Nullable String repoArgument(String[] args) {
    if (args.length == 0 || !COMMANDS.contains(args[0])) {
      return null;
    }
    String repo = null;
    for (int i = 1; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--")) {
        break;
      }
      if (NO_OPEN.contains(a) || a.startsWith("@")) {
        return null;
      }
      String value;
      if (a.equals("--repo")) {
        if (i + 1 == args.length) {
          return null;
        }
        value = args[++i];
      } else if (a.startsWith("--repo=")) {
        value = a.substring("--repo=".length());
      } else {
        continue;
      }
      if (repo != null) {
        return null;
      }
      repo = value;
    }
    return repo == null || repo.isEmpty() || repo.startsWith("s3:") ? null : repo;
  }

  private void open(Path dir) {
    char[] pass = passphrase.toCharArray();
    try {
      // The same checks as RepoCommand.open, in the same order, so that nothing is created.
      if (!Files.isDirectory(dir)) {
        opened.complete(null);
        return;
      }
      BlobStore store = new FileSystemBlobStore(dir);
      if (!Repository.exists(store)) {
        opened.complete(null);
        return;
      }
      opened.complete(Repository.open(store, pass, RepoCommand.options(clock)));
    } catch (RuntimeException e) {
      opened.completeExceptionally(e);
    } catch (Error e) {
      opened.completeExceptionally(e);
      throw e;
    } finally {
      Arrays.fill(pass, '\0');
    }
  }

  /**
   * Takes the early repository when it is the one a command would open, waiting for the open to
   * finish. At most one call gets it; every later call returns {@code null}.
   *
   * @param repo the command's {@code --repo}
   * @param passphrase the command's {@code DRKIT_PASSWORD}, or {@code null}
   * @param clock the command's clock
   * @return the open repository (the caller closes it), or {@code null} when the command must open
   *     its own: another repository, passphrase or clock, already taken, or not opened early (no
   *     such directory, no repository in it)
   * @throws RuntimeException what opening the repository threw (a wrong passphrase, a damaged key
   *     slot, a storage failure), exactly as the command would have got it
   */
  @Nullable Repository claim(String repo, @Nullable String passphrase, Clock clock) {
    boolean match = this.repo.equals(repo) && this.passphrase.equals(passphrase) && this.clock.equals(clock);
    synchronized (this) {
      if (taken) {
        return null;
      }
      taken = true;
    }
    Repository r;
    try {
      r = opened.join();
    } catch (CompletionException e) {
      if (match && e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      return null;
    }
    if (r != null && !match) {
      r.close();
      return null;
    }
    return r;
  }

  /** Waits until the open has finished, whether it succeeded, failed or was not attempted. */
  void await() {
    opened.handle((r, e) -> null).join();
  }

  /**
   * @return whether a command has {@linkplain #claim claimed} this open (whether or not it matched)
   *     or it was {@linkplain #close closed}
   */
  synchronized boolean taken() {
    return taken;
  }

  /**
   * Closes the early repository unless a command took it; an open still under way closes its
   * repository when it finishes. Does not wait.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (taken) {
        return;
      }
      taken = true;
    }
    opened.thenAccept(r -> {
      if (r != null) {
        r.close();
      }
    });
  }
}
