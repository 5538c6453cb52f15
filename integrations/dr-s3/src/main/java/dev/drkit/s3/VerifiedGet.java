package dev.drkit.s3;

import dev.drkit.core.BlobNotFoundException;
import dev.drkit.core.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * A whole-object GET whose body is checked before it is returned: against its Content-Length and
 * against the CRC32C every write stores in the object's metadata ({@link #CHECKSUM}), reading again
 * on a mismatch or a body that broke off, up to the store's attempts. Servers whose replacement of
 * an object is not atomic for readers can send one version's headers with the other's bytes.
 */
final class VerifiedGet {
  // the store's logger: one logger name for all of the store's messages
  private static final Logger LOG = LoggerFactory.getLogger(S3BlobStore.class);
  /** User metadata holding the CRC32C of the whole object, checked on every whole-object get. */
  static final String CHECKSUM = "drkit-crc32c";

  private final S3Requests requests;
  private final boolean verifyReads;

  /**
   * @param requests the bucket's client, retries and error reporting
   * @param verifyReads whether to check the CRC32C (the Content-Length is always checked)
   */
  VerifiedGet(S3Requests requests, boolean verifyReads) {
    this.requests = requests;
    this.verifyReads = verifyReads;
  }

  /**
   * @param key a valid blob key
   * @return the object's whole body, checked
   * @throws BlobNotFoundException when there is no such object
   * @throws StorageException when the call fails, or no attempt returned a body that checks out
   */
  byte[] get(String key) {
    try {
      for (int attempt = 1; ; attempt++) {
        Fetched fetched;
        try {
          fetched = requests.retrying(() -> requests.client().getObject(
              r -> r.bucket(requests.bucket()).key(requests.objectKey(key)),
              (GetObjectResponse response, AbortableInputStream in) -> new Fetched(response, readBody(in,
                  response.contentLength()))));
        } catch (SdkClientException e) {
          // the body broke off while being read (the SDK does not retry failures inside the
          // response transformer): read again, like a body that fails its checksum
          if (attempt >= requests.maxAttempts() || !S3Requests.causedBy(e, IOException.class)) {
            throw e;
          }
          LOG.debug("S3 store {}: get of {} broke off while reading the body (attempt {}); reading again",
              requests.location(), key, attempt, e);
          continue;
        }
        byte[] body = fetched.body();
        Long length = fetched.response().contentLength();
        boolean whole = length == null || length == body.length;
        String expected = verifyReads ? fetched.response().metadata().get(CHECKSUM) : null;
        if (whole && (expected == null || expected.equals(crc32c(body)))) {
          return body;
        }
        if (attempt >= requests.maxAttempts()) {
          throw new StorageException("S3 get of " + key + " in " + requests.location() + ": the body ("
              + body.length + " bytes) does not match " + (whole ? "the CRC32C written with it (" + expected + ")"
              : "its Content-Length (" + length + ")") + " in " + attempt
              + " attempts: a torn read of a replaced object or corruption on the server or the wire");
        }
        LOG.debug("S3 store {}: get of {} returned a body that does not match its checksum (attempt {}); "
            + "reading again", requests.location(), key, attempt);
      }
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        throw new BlobNotFoundException(key);
      }
      throw requests.failure("get", key, e);
    } catch (SdkException e) {
      throw requests.failure("get", key, e);
    }
  }

  /** @return the CRC32C of {@code content} in hex, as writes store it under {@link #CHECKSUM} */
  static String crc32c(byte[] content) {
    return crc32c(content, 0, content.length);
  }

  /** @return the CRC32C of {@code content[off, off + len)} in hex, as {@link #crc32c(byte[])} */
  static String crc32c(byte[] content, int off, int len) {
    CRC32C crc = new CRC32C();
    crc.update(content, off, len);
    return Long.toHexString(crc.getValue());
  }

  /** A whole-object GET's response and body. */
  private record Fetched(GetObjectResponse response, byte[] body) {}

  /**
   * Reads a body of known length into one array of that size (no growing buffer, no final copy).
   * A body shorter than its Content-Length comes back shorter, one longer is cut at one byte past
   * it: the caller sees the mismatch and reads again (a server whose replacement is not atomic can
   * send one version's length with the other's bytes).
   */
  private static byte[] readBody(InputStream in, @Nullable Long contentLength) throws IOException {
    if (contentLength == null || contentLength < 0 || contentLength > Integer.MAX_VALUE - 8) {
      return in.readAllBytes();
    }
    byte[] body = new byte[(int) (long) contentLength];
    int n = in.readNBytes(body, 0, body.length);
    if (n < body.length) {
      return java.util.Arrays.copyOf(body, n);
    }
    if (in.read() != -1) {
      return java.util.Arrays.copyOf(body, n + 1);
    }
    return body;
  }
}
