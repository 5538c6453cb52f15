package dev.drkit.s3;

import dev.drkit.core.StorageException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * How {@link S3BlobStore} and {@link MultipartUpload} talk to one bucket: the SDK client, the map
 * from blob keys to object keys, the one retry loop the SDK lacks, and how a failed call becomes a
 * {@link StorageException} naming the operation, the key and the location.
 */
final class S3Requests {
  // the store's logger: one logger name for all of the store's messages
  private static final Logger LOG = LoggerFactory.getLogger(S3BlobStore.class);
  /** User metadata holding a unique id per write, so a retried write recognises its own object. */
  static final String WRITE_ID = "drkit-write-id";

  private final S3Client s3;
  private final S3Location location;
  private final KeyLayout keyLayout;
  private final int maxAttempts;
  private final Duration baseDelay;
  private final Duration maxDelay;

  /**
   * @param s3 the SDK client; closed by {@link #close()}
   * @param location the bucket and prefix every key lives under
   * @param keyLayout how blob keys map to object keys
   * @param maxAttempts attempts per call, including the first
   * @param baseDelay the first backoff delay, doubled per attempt
   * @param maxDelay the longest backoff delay
   */
  S3Requests(S3Client s3, S3Location location, KeyLayout keyLayout, int maxAttempts, Duration baseDelay,
      Duration maxDelay) {
    this.s3 = s3;
    this.location = location;
    this.keyLayout = keyLayout;
    this.maxAttempts = maxAttempts;
    this.baseDelay = baseDelay;
    this.maxDelay = maxDelay;
  }

  S3Client client() {
    return s3;
  }

  S3Location location() {
    return location;
  }

  String bucket() {
    return location.bucket();
  }

  int maxAttempts() {
    return maxAttempts;
  }

  /** @return the object key of blob key {@code key} under the location's prefix */
  String objectKey(String key) {
    return location.objectKey(keyLayout.encode(key));
  }

  /**
   * @return the blob key of object key {@code objectKey} (which starts with the location's prefix),
   *     or null for an object that is no blob (a foreign object, a probe)
   */
  @Nullable String blobKey(String objectKey) {
    return keyLayout.decode(objectKey.substring(location.prefix().length()));
  }

  /**
   * Runs one S3 call, retrying it when the URL-connection transport failed with an
   * {@link UncheckedIOException} (a reset connection while sending a body): the SDK's retry
   * stage does not classify that as retryable, although the request is as safe to repeat as any
   * I/O failure it does retry. Other failures are left to the SDK's retry strategy.
   */
  <T> T retrying(Supplier<T> call) {
    for (int attempt = 1; ; attempt++) {
      try {
        return call.get();
      } catch (SdkClientException | UncheckedIOException e) {
        if (attempt >= maxAttempts || !causedBy(e, UncheckedIOException.class)) {
          throw e;
        }
        long delay = Math.min(maxDelay.toMillis(), baseDelay.toMillis() << Math.min(attempt - 1, 20));
        LOG.debug("S3 store {}: attempt {} failed on a broken connection; retrying in <= {} ms", location, attempt,
            delay, e);
        try {
          Thread.sleep(ThreadLocalRandom.current().nextLong(delay + 1));
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /** @return whether {@code e} or one of its causes is a {@code type} */
  static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /** @return the object's headers, or empty when it does not exist */
  Optional<HeadObjectResponse> head(String key) {
    try {
      return Optional.of(retrying(() -> s3.headObject(r -> r.bucket(bucket()).key(objectKey(key)))));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw failure("stat", key, e);
    } catch (SdkException e) {
      throw failure("stat", key, e);
    }
  }

  /** @return whether the object at {@code key} now is the one written with {@code writeId} */
  boolean isOurs(String key, String writeId) {
    return head(key).map(h -> writeId.equals(h.metadata().get(WRITE_ID))).orElse(false);
  }

  /**
   * @param operation what failed, in words ({@code "put"}, {@code "ranged get"})
   * @param key the blob key it failed on
   * @param e the SDK's failure
   * @return a {@link StorageException} naming the operation, the key, the location and the server's answer
   */
  StorageException failure(String operation, String key, Exception e) {
    String detail = e.getMessage();
    if (e instanceof S3Exception s3e) {
      detail = "HTTP " + s3e.statusCode() + (s3e.awsErrorDetails() == null ? ""
          : " " + s3e.awsErrorDetails().errorCode() + ": " + s3e.awsErrorDetails().errorMessage());
    }
    return new StorageException("S3 " + operation + " of " + key + " in " + location + " failed: " + detail, e);
  }

  /**
   * A request body over a range of {@code content} without copying it ({@link RequestBody#fromBytes}
   * copies the whole array first): each attempt, retries included, reads a fresh stream over the
   * same bytes. The caller does not modify them while the request runs.
   */
  static RequestBody body(byte[] content, int off, int len) {
    return RequestBody.fromContentProvider(() -> new java.io.ByteArrayInputStream(content, off, len), len,
        "application/octet-stream");
  }

  /** @return the Base64 MD5 of a range of {@code content}, as {@code Content-MD5} carries it */
  static String md5(byte[] content, int off, int len) {
    try {
      MessageDigest md = MessageDigest.getInstance("MD5");
      md.update(content, off, len);
      return Base64.getEncoder().encodeToString(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is required of every JVM", e);
    }
  }

  /** Closes the SDK client and its HTTP connections. */
  void close() {
    s3.close();
  }
}
