package dev.drkit.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.BlobNotFoundException;
import dev.drkit.core.StorageException;
import dev.drkit.core.spi.BlobInfo;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** S3-specific behaviour against S3Proxy with its filesystem backend (data on disk in a temp dir). */
@Tag("integration")
class S3BlobStoreFilesystemBackendTest {
  @TempDir
  Path directory;
  private S3ProxyServer server;
  private final List<AutoCloseable> resources = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    server = new S3ProxyServer(directory);
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable r : resources) {
      r.close();
    }
    server.close();
  }

  private <T extends AutoCloseable> T track(T r) {
    resources.add(r);
    return r;
  }

  private S3BlobStore store(String bucketAndPrefix) {
    return track(server.store(bucketAndPrefix).multipartThreshold(S3BlobStore.MIN_PART_SIZE)
        .partSize(S3BlobStore.MIN_PART_SIZE).build());
  }

  private S3Client rawClient() {
    return track(S3Client.builder().endpointOverride(URI.create(server.endpoint())).region(Region.US_EAST_1)
        .forcePathStyle(true).requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY))).build());
  }

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void blobsSurviveARestartOfTheServer() throws Exception {
    S3BlobStore store = store("durable/repo");
    byte[] big = random(11 << 20, 1);
    store.put("packs/big", big);
    store.putIfAbsent("config", "cfg".getBytes(StandardCharsets.UTF_8));
    store.close();
    resources.clear();
    server.close();

    server = new S3ProxyServer(directory);
    S3BlobStore reopened = store("durable/repo");
    assertThat(reopened.get("packs/big")).isEqualTo(big);
    assertThat(reopened.list("")).containsExactly(new BlobInfo("config", 3), new BlobInfo("packs/big", big.length));
  }

  @Test
  void multipartBlobsRoundTripAndLeaveNoUploadsBehind() {
    S3BlobStore store = track(server.store("mpu/repo").multipartThreshold(S3BlobStore.MIN_PART_SIZE)
        .partSize(S3BlobStore.MIN_PART_SIZE).contentMd5(true).build());
    byte[] big = random((12 << 20) + 123, 2);
    assertThat(store.putIfAbsent("packs/a", big)).isTrue();
    assertThat(store.putIfAbsent("packs/a", random(6 << 20, 3))).isFalse();
    assertThat(store.get("packs/a")).isEqualTo(big);
    assertThat(store.getRange("packs/a", (5 << 20) - 10, 20)).isEqualTo(Arrays.copyOfRange(big, (5 << 20) - 10, (5 << 20) + 10));
    assertThat(rawClient().listMultipartUploads(r -> r.bucket("mpu")).uploads()).isEmpty();
  }

  @Test
  void listingPaginatesAndSkipsForeignObjectsAndOtherPrefixes() {
    S3BlobStore store = track(server.store("pages/repo").listPageSize(3).build());
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      keys.add("index/" + i);
      store.put("index/" + i, new byte[i]);
    }
    S3Client raw = rawClient();
    raw.putObject(r -> r.bucket("pages").key("repo/index/not a key!"), RequestBody.fromString("foreign"));
    raw.putObject(r -> r.bucket("pages").key("repo-other/index/0"), RequestBody.fromString("other prefix"));
    raw.putObject(r -> r.bucket("pages").key("elsewhere"), RequestBody.fromString("outside"));
    assertThat(store.list("index/")).extracting(BlobInfo::key).containsExactlyElementsOf(keys);
    assertThat(store.list("")).hasSize(10);
    assertThat(store.list("index/7")).containsExactly(new BlobInfo("index/7", 7));
  }

  @Test
  void retriesRideOverDroppedConnections() throws Exception {
    FlakyProxy flaky = track(new FlakyProxy(server.port(), 2));
    S3BlobStore store = track(S3BlobStore.builder(S3Location.parse("s3:http://127.0.0.1:" + flaky.port() + "/flaky/r"))
        .staticCredentials(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY).createBucketIfMissing(true)
        .retries(6, Duration.ofMillis(5), Duration.ofMillis(50)).build());
    for (int i = 0; i < 10; i++) {
      store.put("k/" + i, random(1000, i));
    }
    for (int i = 0; i < 10; i++) {
      assertThat(store.get("k/" + i)).isEqualTo(random(1000, i));
    }
    assertThat(flaky.dropped()).isPositive();
  }

  @Test
  void unreachableServerIsAStorageExceptionAfterTheRetries() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    S3BlobStore.Builder builder = S3BlobStore.builder(S3Location.parse("s3:http://127.0.0.1:" + port + "/gone/r"))
        .staticCredentials(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)
        .retries(2, Duration.ofMillis(1), Duration.ofMillis(5));
    assertThatThrownBy(builder::build).isInstanceOf(StorageException.class).hasMessageContaining("gone");
  }

  @Test
  void missingBucketIsAStorageExceptionNamingIt() {
    assertThatThrownBy(() -> server.store("no-such-bucket/x").createBucketIfMissing(false).build())
        .isInstanceOf(StorageException.class).hasMessageContaining("no-such-bucket");
  }

  @Test
  void wrongCredentialsAreAStorageException() {
    store("creds/x");
    assertThatThrownBy(() -> S3BlobStore.builder(S3Location.parse("s3:" + server.endpoint() + "/creds/x"))
        .staticCredentials(S3ProxyServer.ACCESS_KEY, "wrong-secret").build())
        .isInstanceOf(StorageException.class).hasMessageContaining("403");
  }

  @Test
  void defaultCredentialChainAndLocationFactoryOpenTheStore() {
    store("chain/x").put("k", new byte[] {42});
    String oldId = System.getProperty("aws.accessKeyId");
    String oldSecret = System.getProperty("aws.secretAccessKey");
    System.setProperty("aws.accessKeyId", S3ProxyServer.ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", S3ProxyServer.SECRET_KEY);
    try (S3BlobStore store = S3BlobStore.open("s3:" + server.endpoint() + "/chain/x")) {
      assertThat(store.get("k")).containsExactly(42);
      assertThat(store.location().prefix()).isEqualTo("x/");
    } finally {
      restore("aws.accessKeyId", oldId);
      restore("aws.secretAccessKey", oldSecret);
    }
  }

  private static void restore(String name, String value) {
    if (value == null) {
      System.clearProperty(name);
    } else {
      System.setProperty(name, value);
    }
  }

  @Test
  void conditionalWriteSupportIsProbedAndRequiredModeRefusesServersWithout() {
    S3BlobStore auto = store("probe/x");
    if (auto.conditionalWrites()) {
      assertThat(track(server.store("probe/x").conditionalWrites(S3BlobStore.ConditionalWrites.REQUIRED).build())
          .conditionalWrites()).isTrue();
    } else {
      assertThatThrownBy(() -> server.store("probe/x").conditionalWrites(S3BlobStore.ConditionalWrites.REQUIRED)
          .build()).isInstanceOf(StorageException.class).hasMessageContaining("If-None-Match");
    }
    assertThat(auto.list("")).as("probe objects are cleaned up and never listed").isEmpty();
    S3BlobStore disabled = track(server.store("probe/x").conditionalWrites(S3BlobStore.ConditionalWrites.DISABLED)
        .build());
    assertThat(disabled.conditionalWrites()).isFalse();
    assertThat(disabled.putIfAbsent("lock", new byte[] {1})).isTrue();
    assertThat(disabled.putIfAbsent("lock", new byte[] {2})).isFalse();
    assertThat(auto.get("lock")).containsExactly(1);
  }

  @Test
  void rangesPastTheEndAndMissingKeysAreDistinctErrors() {
    S3BlobStore store = store("ranges/x");
    store.put("r", new byte[100]);
    assertThatThrownBy(() -> store.getRange("r", 200, 5)).isInstanceOf(StorageException.class)
        .hasMessageContaining("r");
    assertThatThrownBy(() -> store.getRange("r", 95, 10)).isInstanceOf(StorageException.class)
        .hasMessageContaining("past its end");
    assertThatThrownBy(() -> store.getRange("missing", 0, 5)).isInstanceOf(BlobNotFoundException.class);
    assertThat(store.getRange("r", 100, 0)).isEmpty();
  }

  @Test
  void rejectsInvalidSettings() {
    S3BlobStore.Builder b = S3BlobStore.builder(S3Location.parse("s3:http://127.0.0.1:1/bucket"));
    assertThatThrownBy(() -> b.partSize(1024)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partSize");
    assertThatThrownBy(() -> b.multipartThreshold(1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("multipartThreshold");
    assertThatThrownBy(() -> b.retries(0, Duration.ZERO, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxAttempts");
    assertThatThrownBy(() -> b.listPageSize(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("listPageSize");
  }

  @Test
  void aBlobCorruptedOnTheServerIsRefusedWithItsChecksumAndLeftInPlace() throws Exception {
    S3BlobStore store = store("corrupt/repo");
    byte[] content = random(64 << 10, 3);
    store.put("data/ab/blob", content);
    Path file;
    try (var files = java.nio.file.Files.walk(directory)) {
      file = files.filter(p -> p.getFileName().toString().equals("blob")).findFirst().orElseThrow();
    }
    byte[] onDisk = java.nio.file.Files.readAllBytes(file);
    onDisk[1234] ^= 0x01;
    java.nio.file.Files.write(file, onDisk);
    assertThatThrownBy(() -> store.get("data/ab/blob")).isInstanceOf(StorageException.class)
        .hasMessageContaining("data/ab/blob").hasMessageContaining("does not match the CRC32C");
    assertThat(store.stat("data/ab/blob")).contains(new BlobInfo("data/ab/blob", content.length));
    // with verification off the (corrupted) bytes come back as stored: nothing was changed or deleted
    S3BlobStore unchecked = track(server.store("corrupt/repo").verifyReads(false).build());
    assertThat(unchecked.get("data/ab/blob")).isEqualTo(onDisk);
  }

  @Test
  void filesystemSafeLayoutStoresNestedKeysUnderSuffixedDirectories() throws Exception {
    S3BlobStore store = track(server.store("layout/repo").keyLayout(KeyLayout.FILESYSTEM_SAFE).build());
    store.put("a", "parent".getBytes(StandardCharsets.UTF_8));
    store.put("a/b", "child".getBytes(StandardCharsets.UTF_8));
    assertThat(java.nio.file.Files.isRegularFile(directory.resolve("layout/repo/a"))).isTrue();
    assertThat(java.nio.file.Files.isRegularFile(directory.resolve("layout/repo/a~/b"))).isTrue();
    assertThat(store.list("a")).extracting(BlobInfo::key).containsExactly("a", "a/b");
    // a PLAIN store on the same prefix sees the objects of the other layout as foreign
    S3BlobStore plain = store("layout/repo");
    assertThat(plain.list("")).extracting(BlobInfo::key).containsExactly("a");
  }

  @Test
  void unsignedPayloadsAreAcceptedForSinglePartAndMultipartWrites() {
    S3BlobStore store = track(server.store("unsigned/repo").signPayload(false)
        .multipartThreshold(S3BlobStore.MIN_PART_SIZE).partSize(S3BlobStore.MIN_PART_SIZE).build());
    byte[] small = random(100_000, 5);
    byte[] big = random(11 << 20, 6);
    store.put("small", small);
    assertThat(store.putIfAbsent("packs/big", big)).isTrue();
    assertThat(store.get("small")).isEqualTo(small);
    assertThat(store.get("packs/big")).isEqualTo(big);
    assertThat(store.getRange("packs/big", 5 << 20, 1000)).isEqualTo(Arrays.copyOfRange(big, 5 << 20, (5 << 20) + 1000));
  }
}
