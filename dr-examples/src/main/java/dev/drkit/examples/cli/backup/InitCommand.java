package dev.drkit.examples.cli.backup;

import dev.drkit.backup.Repository;
import dev.drkit.backup.RepositoryExistsException;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.spi.BlobStore;
import java.nio.file.Files;
import java.util.Arrays;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code drkit init --repo DIR [--cipher aes-256-gcm|chacha20-poly1305] [--no-encryption]}: creates a repository. */
@Command(name = "init", mixinStandardHelpOptions = true, description = {
    "Creates an encrypted backup repository in DIR.",
    "The passphrase comes from DRKIT_PASSWORD, or is asked twice on a terminal."})
public final class InitCommand extends RepoCommand {
  @Option(names = "--no-encryption", description = "create an unencrypted repository (only when you mean it)")
  boolean noEncryption;

  @Option(names = "--cipher", paramLabel = "aes-256-gcm|chacha20-poly1305", defaultValue = "aes-256-gcm",
      description = "authenticated encryption of the repository's data (default ${DEFAULT-VALUE}; chacha20-poly1305"
          + " for CPUs without AES instructions)")
  String cipher;

  /** @param env the surroundings */
  public InitCommand(CliEnv env) {
    super(env);
  }

  @Override
  int run() throws Exception {
    EncryptionConfig.Algorithm algorithm = switch (cipher) {
      case "aes-256-gcm" -> EncryptionConfig.Algorithm.AES_256_GCM;
      case "chacha20-poly1305" -> EncryptionConfig.Algorithm.CHACHA20_POLY1305;
      default -> throw new CliFailure(USAGE, "--cipher: unknown cipher '" + cipher
          + "' (use aes-256-gcm or chacha20-poly1305)");
    };
    if (noEncryption && !cipher.equals("aes-256-gcm")) {
      throw new CliFailure(USAGE, "--cipher and --no-encryption contradict each other");
    }
    if (!onS3() && Files.exists(repoDir()) && !Files.isDirectory(repoDir())) {
      throw new CliFailure(FAILED, repo + " exists and is not a directory");
    }
    // Nothing is created (directory or bucket) before the passphrase is in hand; an existing S3
    // repository is refused by Repository.init below.
    if (!onS3() && Files.isDirectory(repoDir()) && Repository.exists(store(false))) {
      throw new CliFailure(FAILED, "a repository already exists at " + repo + "; nothing was changed");
    }
    char[] pass = null;
    String keySource = "prompt";
    if (!noEncryption) {
      String fromEnv = env().getenv(Passphrases.PASSWORD_ENV);
      if (fromEnv != null) {
        if (fromEnv.isEmpty()) {
          throw new CliFailure(FAILED, Passphrases.PASSWORD_ENV + " is empty; an empty passphrase is not allowed");
        }
        pass = fromEnv.toCharArray();
        keySource = "env:" + Passphrases.PASSWORD_ENV;
      } else {
        pass = freshFromPrompt();
      }
    }
    try (Repository r = Repository.init(store(true),
        noEncryption ? EncryptionConfig.none() : new EncryptionConfig(algorithm, keySource), pass, options())) {
      env().out().println("created " + (r.encrypted() ? "encrypted" : "UNENCRYPTED") + " repository " + r.id()
          + " at " + repo + (r.encrypted() ? " (" + cipher + ")" : ""));
      env().out().flush();
      return OK;
    } catch (RepositoryExistsException e) {
      throw new CliFailure(FAILED, "a repository already exists at " + repo + "; nothing was changed");
    } finally {
      if (pass != null) {
        Arrays.fill(pass, '\0');
      }
    }
  }

  private char[] freshFromPrompt() {
    CliEnv.Prompt p = env().prompt();
    if (p == null) {
      throw new CliFailure(FAILED, "no passphrase: set " + Passphrases.PASSWORD_ENV
          + " or run on a terminal to be asked (or pass --no-encryption)");
    }
    char[] a = p.readSecret("enter passphrase for new repository: ");
    char[] b = a == null ? null : p.readSecret("enter passphrase again: ");
    if (a == null || b == null) {
      throw new CliFailure(FAILED, "no passphrase given");
    }
    if (a.length == 0) {
      throw new CliFailure(FAILED, "an empty passphrase is not allowed");
    }
    if (!Arrays.equals(a, b)) {
      throw new CliFailure(FAILED, "the passphrases do not match");
    }
    Arrays.fill(b, '\0');
    return a;
  }
}
