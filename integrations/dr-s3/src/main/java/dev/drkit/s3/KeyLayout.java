package dev.drkit.s3;

import dev.drkit.core.spi.BlobKeys;
import org.jspecify.annotations.Nullable;

/**
 * How an {@link S3BlobStore} maps blob keys to S3 object keys (below the location's prefix).
 *
 * <p>S3 itself has a flat namespace, so {@link #PLAIN} (object key = blob key) is right for Amazon
 * S3, Ceph RGW and other object stores. Servers that keep each object in a file named after its
 * key (S3Proxy's {@code filesystem} and {@code filesystem-nio2} backends, a MinIO single-drive
 * setup, gateways onto NAS shares) cannot hold the keys {@code a} and {@code a/b} at once (one
 * would be a file and a directory), and fail on segments near the file-name limit because they add
 * suffixes to temporary files. {@link #FILESYSTEM_SAFE} avoids both, reversibly:
 * <ul>
 *   <li>every segment but the last is followed by {@code ~} (a character blob keys cannot
 *       contain), so {@code a/b} becomes {@code a~/b} and never collides with the object
 *       {@code a};</li>
 *   <li>a segment longer than {@value #PIECE} characters is cut into pieces of at most
 *       {@value #PIECE} characters joined by {@code ~~/}, so no file or directory name exceeds
 *       {@value #PIECE} + 2 characters.</li>
 * </ul>
 * Decoding removes {@code ~~/} and then turns {@code ~/} back into {@code /}. The encoding
 * preserves prefixes (a key starts with a prefix exactly when its encoding starts with the
 * prefix's encoding), so listing by prefix stays one ranged S3 listing. It does not preserve
 * order, so listings are sorted after decoding.
 *
 * <p>The layout is a property of a repository: every store that opens it must use the same one.
 * The format is documented in {@code docs/multi-site.md}.
 */
public enum KeyLayout {
  /** The object key is the blob key. For Amazon S3 and every flat-namespace object store. */
  PLAIN,
  /** Directory-safe, name-length-safe encoding, for servers that store objects as files. */
  FILESYSTEM_SAFE;

  /** The longest piece of a segment in {@link #FILESYSTEM_SAFE}. */
  public static final int PIECE = 128;
  private static final String SEGMENT_END = "~/";
  private static final String CONTINUATION = "~~/";

  /**
   * @param key a valid blob key, or a valid list prefix
   * @return its object key below the location's prefix
   */
  public String encode(String key) {
    if (this == PLAIN) {
      return key;
    }
    StringBuilder out = new StringBuilder(key.length() + 16);
    String[] segments = key.split("/", -1);
    for (int s = 0; s < segments.length; s++) {
      if (s > 0) {
        out.append(SEGMENT_END);
      }
      String segment = segments[s];
      for (int off = 0; off < segment.length(); off += PIECE) {
        if (off > 0) {
          out.append(CONTINUATION);
        }
        out.append(segment, off, Math.min(segment.length(), off + PIECE));
      }
    }
    return out.toString();
  }

  /**
   * @param objectKey an object key below the location's prefix
   * @return the blob key it encodes, or {@code null} when it is not the encoding of a valid blob
   *     key in this layout (a foreign object, a probe, an object written with another layout)
   */
  public @Nullable String decode(String objectKey) {
    String key = this == PLAIN ? objectKey : objectKey.replace(CONTINUATION, "").replace(SEGMENT_END, "/");
    try {
      BlobKeys.validate(key);
    } catch (IllegalArgumentException e) {
      return null;
    }
    return encode(key).equals(objectKey) ? key : null;
  }
}
