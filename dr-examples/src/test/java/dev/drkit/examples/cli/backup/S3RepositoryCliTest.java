package dev.drkit.examples.cli.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --repo s3:http://host:port/bucket/prefix}: the backup commands against a real S3 API server
 * (S3Proxy with its filesystem backend) on 127.0.0.1, credentials from the AWS SDK's default chain
 * (here its system-property provider).
 */
@Tag("integration")
class S3RepositoryCliTest {
  private static final String ACCESS = "drkit-cli-access";
  private static final String SECRET = "drkit-cli-secret-for-tests";

  @TempDir
  Path tmp;
  private BlobStoreContext context;
  private S3Proxy proxy;
  private final Properties saved = new Properties();
  private final Cli cli = new Cli().password("correct horse battery staple");

  @BeforeEach
  void startS3() throws Exception {
    Properties props = new Properties();
    props.setProperty("jclouds.filesystem.basedir", Files.createDirectories(tmp.resolve("s3")).toString());
    context = ContextBuilder.newBuilder("filesystem").overrides(props).build(BlobStoreContext.class);
    proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS, SECRET).build();
    proxy.start();
    await("S3Proxy started").atMost(Duration.ofSeconds(60)).until(() -> "STARTED".equals(proxy.getState()));
    for (String[] p : List.of(new String[] {"aws.accessKeyId", ACCESS}, new String[] {"aws.secretAccessKey", SECRET},
        new String[] {"aws.region", "us-east-1"})) {
      String old = System.getProperty(p[0]);
      if (old != null) {
        saved.setProperty(p[0], old);
      }
      System.setProperty(p[0], p[1]);
    }
  }

  @AfterEach
  void stopS3() throws Exception {
    for (String name : List.of("aws.accessKeyId", "aws.secretAccessKey", "aws.region")) {
      if (saved.containsKey(name)) {
        System.setProperty(name, saved.getProperty(name));
      } else {
        System.clearProperty(name);
      }
    }
    proxy.stop();
    context.close();
  }

  private Cli.Result run(String... args) {
    return cli.run(args);
  }

  @Test
  void initBackupRestoreAndVerifyAnS3Repository() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src/sub"));
    Files.writeString(src.resolve("a.txt"), "alpha ".repeat(5000));
    Files.writeString(src.getParent().resolve("b.txt"), "bravo\n");
    String repo = "s3:http://127.0.0.1:" + proxy.getPort() + "/drkit-cli/repos/one";

    Cli.Result init = run("init", "--repo", repo);
    assertThat(init.exitCode()).as(init.err()).isZero();
    assertThat(init.out()).contains("created encrypted repository");
    Cli.Result again = run("init", "--repo", repo);
    assertThat(again.exitCode()).isEqualTo(1);
    assertThat(again.err()).contains("already exists");

    Cli.Result backup = run("backup", "--repo", repo, tmp.resolve("src").toString());
    assertThat(backup.exitCode()).as(backup.err()).isZero();
    String id = backup.out().trim();
    assertThat(id).matches("[0-9a-f]{64}");

    Cli.Result list = run("snapshots", "--repo", repo, "--json");
    assertThat(list.exitCode()).as(list.err()).isZero();
    assertThat(list.out()).contains(id);

    Path target = tmp.resolve("restored");
    Cli.Result restore = run("restore", "--repo", repo, "latest", "--target", target.toString());
    assertThat(restore.exitCode()).as(restore.err()).isZero();
    try (var files = Files.walk(target)) {
      Path a = files.filter(p -> p.getFileName().toString().equals("a.txt")).findFirst().orElseThrow();
      assertThat(Files.readString(a)).isEqualTo("alpha ".repeat(5000));
    }

    Cli.Result verify = run("verify", "--repo", repo, "--read-data");
    assertThat(verify.exitCode()).as(verify.out() + verify.err()).isZero();
  }

  @Test
  void theFilesystemSafeKeyLayoutIsChosenPerCommandAndMustMatch() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src2"));
    Files.writeString(src.resolve("c.txt"), "charlie\n");
    String repo = "s3:http://127.0.0.1:" + proxy.getPort() + "/drkit-cli/repos/layout";

    Cli.Result init = run("init", "--repo", repo, "--s3-key-layout", "filesystem-safe");
    assertThat(init.exitCode()).as(init.err()).isZero();
    Cli.Result backup = run("backup", "--repo", repo, "--s3-key-layout", "filesystem-safe", src.toString());
    assertThat(backup.exitCode()).as(backup.err()).isZero();
    Cli.Result list = run("snapshots", "--repo", repo, "--s3-key-layout", "filesystem-safe", "--json");
    assertThat(list.exitCode()).as(list.err()).isZero();
    assertThat(list.out()).contains(backup.out().trim());
    // the same prefix read with the other layout holds no repository
    Cli.Result plain = run("snapshots", "--repo", repo);
    assertThat(plain.exitCode()).isEqualTo(1);
    assertThat(plain.err()).contains("holds no key slot").contains("key layout");
    Cli.Result bad = run("snapshots", "--repo", repo, "--s3-key-layout", "nested");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.err()).contains("not a key layout");
  }

  @Test
  void aMissingS3RepositoryAndAWrongPassphraseHaveTheirOwnMessages() {
    String base = "s3:http://127.0.0.1:" + proxy.getPort();
    Cli.Result noBucket = run("snapshots", "--repo", base + "/no-such-bucket/repo");
    assertThat(noBucket.exitCode()).isEqualTo(1);
    assertThat(noBucket.err()).contains("NoSuchBucket");

    assertThat(run("init", "--repo", base + "/drkit-cli/repos/one").exitCode()).isZero();
    String repo = base + "/drkit-cli/repos/two";
    Cli.Result missing = run("snapshots", "--repo", repo);
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err()).contains("no repository at " + repo);

    assertThat(run("init", "--repo", repo).exitCode()).isZero();
    cli.password("wrong");
    Cli.Result wrong = run("snapshots", "--repo", repo);
    assertThat(wrong.exitCode()).isEqualTo(1);
    assertThat(wrong.err()).contains("wrong passphrase");
  }

  @Test
  void aMalformedS3LocationIsAUsageError() {
    Cli.Result r = run("snapshots", "--repo", "s3:not a url");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("repo");
  }
}
