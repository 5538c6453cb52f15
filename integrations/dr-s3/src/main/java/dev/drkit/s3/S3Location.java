package dev.drkit.s3;

import dev.drkit.core.ConfigException;
import dev.drkit.core.spi.BlobKeys;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Where a repository lives in S3: an endpoint (or AWS's own), a bucket and a key prefix.
 *
 * <p>Textual forms, as accepted by the command line's {@code --repo}:
 * <ul>
 *   <li>{@code s3:http://host:port/bucket/prefix} or {@code s3:https://host/bucket/prefix}: an
 *       S3-compatible server (MinIO, Ceph RGW, S3Proxy, ...) at that endpoint, path-style
 *       addressing;</li>
 *   <li>{@code s3://bucket/prefix}: Amazon S3 itself, region from the SDK's default chain.</li>
 * </ul>
 * The prefix is optional; it is stored without leading slash and, when not empty, with one
 * trailing slash, so {@code s3:http://h:9000/b/backups/db} keeps its blobs under
 * {@code backups/db/}. Each prefix segment follows the blob key rules of
 * {@link dev.drkit.core.spi.BlobStore}; the bucket follows S3's naming rules.
 *
 * @param endpoint the server's base URI ({@code http(s)://host[:port]}), or {@code null} for AWS
 * @param bucket the bucket's name
 * @param prefix the key prefix, {@code ""} or ending in {@code /}
 */
public record S3Location(@Nullable URI endpoint, String bucket, String prefix) {
  private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

  /** Validates. */
  public S3Location {
    Objects.requireNonNull(bucket, "bucket");
    Objects.requireNonNull(prefix, "prefix");
    if (!BUCKET.matcher(bucket).matches() || bucket.contains("..")) {
      throw new ConfigException("repo.bucket", "bucket '" + bucket
          + "' must be 3-63 of [a-z0-9.-], starting and ending with a letter or digit");
    }
    if (!prefix.isEmpty()) {
      if (!prefix.endsWith("/")) {
        throw new ConfigException("repo.prefix", "prefix '" + prefix + "' must be empty or end with '/'");
      }
      try {
        BlobKeys.validate(prefix.substring(0, prefix.length() - 1));
      } catch (IllegalArgumentException e) {
        throw new ConfigException("repo.prefix", String.valueOf(e.getMessage()));
      }
    }
    if (endpoint != null) {
      String scheme = endpoint.getScheme();
      if (!("http".equals(scheme) || "https".equals(scheme)) || endpoint.getHost() == null
          || (endpoint.getPath() != null && !endpoint.getPath().isEmpty()) || endpoint.getQuery() != null
          || endpoint.getUserInfo() != null) {
        throw new ConfigException("repo.endpoint", "endpoint '" + endpoint
            + "' must be http(s)://host[:port] without path, query or credentials");
      }
    }
  }

  /**
   * Parses the textual form ({@code s3:http(s)://host[:port]/bucket[/prefix]} or
   * {@code s3://bucket[/prefix]}).
   *
   * @param text the location
   * @return the location
   * @throws ConfigException naming {@code repo} and what is wrong
   */
  public static S3Location parse(String text) {
    Objects.requireNonNull(text, "text");
    String rest;
    URI endpoint;
    String path;
    if (text.startsWith("s3://")) {
      endpoint = null;
      path = text.substring("s3://".length());
    } else if (text.startsWith("s3:http://") || text.startsWith("s3:https://")) {
      rest = text.substring("s3:".length());
      URI uri;
      try {
        uri = new URI(rest);
      } catch (URISyntaxException e) {
        throw new ConfigException("repo", "'" + text + "' is not a valid URI: " + e.getMessage());
      }
      if (uri.getHost() == null) {
        throw new ConfigException("repo", "'" + text + "' names no host");
      }
      if (uri.getQuery() != null || uri.getFragment() != null || uri.getUserInfo() != null) {
        throw new ConfigException("repo", "'" + text
            + "' must not carry a query, fragment or credentials (credentials come from the SDK's chain)");
      }
      try {
        endpoint = new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), null, null, null);
      } catch (URISyntaxException e) {
        throw new ConfigException("repo", "'" + text + "': " + e.getMessage());
      }
      path = uri.getPath() == null ? "" : uri.getPath();
      path = path.startsWith("/") ? path.substring(1) : path;
    } else {
      throw new ConfigException("repo", "'" + text
          + "' is not an S3 location: expected s3:http(s)://host[:port]/bucket[/prefix] or s3://bucket[/prefix]");
    }
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    if (path.isEmpty()) {
      throw new ConfigException("repo", "'" + text + "' names no bucket");
    }
    int slash = path.indexOf('/');
    String bucket = slash < 0 ? path : path.substring(0, slash);
    String prefix = slash < 0 ? "" : path.substring(slash + 1) + "/";
    return new S3Location(endpoint, bucket, prefix);
  }

  /** @return the endpoint, empty for Amazon S3 itself */
  public Optional<URI> endpointOverride() {
    return Optional.ofNullable(endpoint);
  }

  /**
   * @param key a blob key
   * @return the S3 object key of that blob
   */
  public String objectKey(String key) {
    return prefix + key;
  }

  /** @return the textual form, which {@link #parse(String)} reads back to an equal location */
  @Override
  public String toString() {
    String path = bucket + (prefix.isEmpty() ? "" : "/" + prefix.substring(0, prefix.length() - 1));
    return endpoint == null ? "s3://" + path : "s3:" + endpoint + "/" + path;
  }
}
