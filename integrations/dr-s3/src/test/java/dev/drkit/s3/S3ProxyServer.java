package dev.drkit.s3;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.awaitility.Awaitility;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3 API server in-process: S3Proxy 2.6.0 on 127.0.0.1 (ephemeral port) over jclouds'
 * filesystem backend in a test directory, with AWS signature authentication.
 */
final class S3ProxyServer implements AutoCloseable {
  static final String ACCESS_KEY = "drkit-access";
  static final String SECRET_KEY = "drkit-secret-key-for-tests";
  private final BlobStoreContext context;
  private final S3Proxy proxy;

  S3ProxyServer(Path directory) throws Exception {
    this("filesystem", directory);
  }

  S3ProxyServer(String provider, Path directory) throws Exception {
    Properties properties = new Properties();
    properties.setProperty("jclouds.filesystem.basedir", directory.toString());
    properties.setProperty(provider + ".identity", "local");
    properties.setProperty(provider + ".credential", "local");
    context = ContextBuilder.newBuilder(provider).overrides(properties).build(BlobStoreContext.class);
    proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
    proxy.start();
    Awaitility.await("S3Proxy started").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
        .until(() -> "STARTED".equals(proxy.getState()));
  }

  int port() {
    return proxy.getPort();
  }

  String endpoint() {
    return "http://127.0.0.1:" + port();
  }

  S3BlobStore.Builder store(String bucketAndPrefix) {
    return S3BlobStore.builder(S3Location.parse("s3:" + endpoint() + "/" + bucketAndPrefix))
        .staticCredentials(ACCESS_KEY, SECRET_KEY).createBucketIfMissing(true);
  }

  @Override
  public void close() {
    try {
      proxy.stop();
    } catch (Exception e) {
      throw new IllegalStateException("S3Proxy did not stop", e);
    } finally {
      context.close();
    }
  }
}
