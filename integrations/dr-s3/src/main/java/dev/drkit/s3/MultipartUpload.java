package dev.drkit.s3;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * Uploads one blob in parts: create the upload, send each part (with its {@code Content-MD5} when
 * asked), complete it (conditionally for {@code putIfAbsent}), and abort it on any failure so that
 * neither an object nor stray parts remain. The object appears whole at completion, like a PUT's.
 */
final class MultipartUpload {
  // the store's logger: one logger name for all of the store's messages
  private static final Logger LOG = LoggerFactory.getLogger(S3BlobStore.class);

  private final S3Requests requests;
  private final int partSize;
  private final boolean contentMd5;

  /**
   * @param requests the bucket's client, retries and error reporting
   * @param partSize the size of every part but the last, in bytes
   * @param contentMd5 whether each part carries a {@code Content-MD5}
   */
  MultipartUpload(S3Requests requests, int partSize, boolean contentMd5) {
    this.requests = requests;
    this.partSize = partSize;
    this.contentMd5 = contentMd5;
  }

  /**
   * Uploads {@code content} to {@code key}.
   *
   * @param key the blob key (for messages and to recognise a completion retried after it succeeded)
   * @param objectKey the object key it is stored under
   * @param content the buffer holding the blob
   * @param offset where the blob starts in {@code content}
   * @param length the blob's length
   * @param meta the object's user metadata, holding the write's {@link S3Requests#WRITE_ID}
   * @param ifAbsent whether the completion carries {@code If-None-Match: *}
   * @throws S3Exception as the server answered (a 412 when {@code ifAbsent} and the key exists)
   * @throws SdkException when the SDK gave up on a call
   */
  void upload(String key, String objectKey, byte[] content, int offset, int length, Map<String, String> meta,
      boolean ifAbsent) {
    String bucket = requests.bucket();
    CreateMultipartUploadResponse created = requests.retrying(() -> requests.client()
        .createMultipartUpload(r -> r.bucket(bucket).key(objectKey).metadata(meta)));
    String uploadId = created.uploadId();
    boolean completed = false;
    try {
      List<CompletedPart> parts = new ArrayList<>();
      int partNumber = 1;
      for (int off = 0; off < length; off += partSize, partNumber++) {
        int len = Math.min(partSize, length - off);
        int number = partNumber;
        String md5 = contentMd5 ? S3Requests.md5(content, offset + off, len) : null;
        int from = offset + off;
        UploadPartResponse part = requests.retrying(() -> requests.client().uploadPart(r -> r.bucket(bucket)
            .key(objectKey).uploadId(uploadId).partNumber(number).contentLength((long) len).contentMD5(md5),
            S3Requests.body(content, from, len)));
        parts.add(CompletedPart.builder().partNumber(number).eTag(part.eTag()).build());
        LOG.debug("S3 store {}: {} part {} uploaded ({} of {} bytes)", requests.location(), key, number, off + len,
            length);
      }
      try {
        requests.retrying(() -> requests.client().completeMultipartUpload(r -> {
          r.bucket(bucket).key(objectKey).uploadId(uploadId).multipartUpload(u -> u.parts(parts));
          if (ifAbsent) {
            r.ifNoneMatch("*");
          }
        }));
      } catch (S3Exception e) {
        // a completion retried after its first attempt succeeded finds no upload any more
        if (e.statusCode() != 404 || !requests.isOurs(key, java.util.Objects.requireNonNull(meta.get(S3Requests.WRITE_ID))) /* meta has our write id */) {
          throw e;
        }
      }
      completed = true;
    } finally {
      if (!completed) {
        try {
          requests.retrying(() -> requests.client().abortMultipartUpload(r -> r.bucket(bucket).key(objectKey)
              .uploadId(uploadId)));
        } catch (SdkException abortFailed) {
          LOG.warn("S3 store {}: aborting the multipart upload {} of {} failed; the server's lifecycle rules "
              + "must clean it up", requests.location(), uploadId, key, abortFailed);
        }
      }
    }
  }
}
