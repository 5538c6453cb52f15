package dev.drkit.s3;

import dev.drkit.core.BlobNotFoundException;
import dev.drkit.core.StorageException;
import dev.drkit.core.spi.BlobInfo;
import dev.drkit.core.spi.BlobKeys;
import dev.drkit.core.spi.BlobStore;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A {@link BlobStore} on Amazon S3 or an S3-compatible server (MinIO, Ceph RGW, S3Proxy), through
 * the AWS SDK for Java v2 (sync client over the JDK's {@code HttpURLConnection}).
 *
 * <ul>
 *   <li><b>Atomic, durable writes</b>: an S3 PUT (and a completed multipart upload) makes the whole
 *       object visible at once, after the server stored it durably. The server checks each body's
 *       integrity in transit: over HTTP against the SHA-256 the SigV4 signature covers, over HTTPS
 *       through TLS; {@link Builder#contentMd5} adds a {@code Content-MD5} on top. Blobs above the multipart threshold are
 *       uploaded in parts; a failed multipart upload is aborted, leaving no object and no parts.</li>
 *   <li><b>{@link #putIfAbsent}</b>: a conditional PUT with {@code If-None-Match: *} where the server
 *       supports it (Amazon S3 since 2024, recent MinIO, S3Proxy); the server then guarantees that
 *       of concurrent writers exactly one wins. Support is probed when the store is built, and
 *       {@link ConditionalWrites} decides what happens without it: {@code REQUIRED} refuses to open,
 *       {@code AUTO} (default) falls back to HEAD-then-PUT, which is <em>not</em> atomic between
 *       concurrent writers (fine for content-addressed data, where racing writers write the same
 *       bytes; not for locks), and logs a warning. Within one store instance, writes, conditional
 *       writes and deletes of one key are additionally serialised by a striped lock, so
 *       {@code putIfAbsent} is atomic among the threads of one process on any server; across
 *       processes only the server's conditional PUT makes it so. Each write carries a unique
 *       {@code x-amz-meta-drkit-write-id}, so a PUT the SDK retried after its first attempt had
 *       in fact succeeded is recognised as this caller's win, not reported as a loss.</li>
 *   <li><b>Retries</b>: the SDK's standard retry strategy (throttling, 5xx, I/O errors) with
 *       exponential backoff and jitter, {@link Builder#maxAttempts} attempts.</li>
 *   <li><b>{@link #getRange}</b>: an HTTP range GET; a range past the end is a
 *       {@link StorageException}.</li>
 *   <li><b>{@link #list}</b>: ListObjectsV2 with pagination; keys under the location's prefix that
 *       are not valid blob keys (foreign objects, this store's probes) are skipped.</li>
 *   <li><b>{@link #get}</b>: the body is checked against the CRC32C every write stores in the
 *       object's metadata and against its Content-Length, and read again on a mismatch (servers
 *       whose replacement is not atomic for readers can send one version's headers with the
 *       other's bytes); see {@link Builder#verifyReads}.</li>
 *   <li><b>Key layout</b>: blob keys map to object keys through a {@link KeyLayout}
 *       ({@link Builder#keyLayout}); {@code PLAIN} by default.</li>
 *   <li><b>{@link #delete}</b>: HEAD then DELETE (S3 deletes are idempotent and do not say whether
 *       anything existed), so the boolean is exact only without a concurrent deleter.</li>
 * </ul>
 *
 * <p>Credentials come from the SDK's default chain (environment, system properties, profile,
 * container and instance roles) unless given. Thread-safe.
 *
 * <p>The store's parts live beside it: {@code S3ClientFactory} builds the SDK client,
 * {@code S3Requests} holds the retry loop and error reporting every call shares,
 * {@code MultipartUpload} uploads large blobs in parts and {@code VerifiedGet} checks whole-object
 * reads. This file stays above 600 lines for one reason: the {@link Builder}, whose fifteen
 * settings each document their default, range and failure mode, is part of the public API.
 */
public final class S3BlobStore implements BlobStore {
  private static final Logger LOG = LoggerFactory.getLogger(S3BlobStore.class);
  /** The smallest part S3 accepts, except for the last. */
  public static final int MIN_PART_SIZE = 5 << 20;

  /** What to do when the server does not honour {@code If-None-Match: *} on PUT. */
  public enum ConditionalWrites {
    /** Use conditional PUTs if the probe shows support, else fall back to HEAD-then-PUT. */
    AUTO,
    /** Refuse to open the store unless the server supports conditional PUTs. */
    REQUIRED,
    /** Never send conditional PUTs; always HEAD-then-PUT (for servers that reject the header). */
    DISABLED
  }

  private final S3Requests requests;
  private final S3Client s3;
  private final S3Location location;
  private final String bucket;
  private final MultipartUpload multipart;
  private final VerifiedGet verifiedGet;
  private final long multipartThreshold;
  private final int writeConcurrency;
  private final int listPageSize;
  private final boolean contentMd5;
  private final boolean conditional;
  private final ReentrantLock[] keyLocks = new ReentrantLock[64];

  private S3BlobStore(Builder b, S3Client s3) {
    this.requests = new S3Requests(s3, b.location, b.keyLayout, b.maxAttempts, b.baseDelay, b.maxDelay);
    this.s3 = s3;
    this.location = b.location;
    this.bucket = b.location.bucket();
    this.multipart = new MultipartUpload(requests, b.partSize, b.contentMd5);
    this.verifiedGet = new VerifiedGet(requests, b.verifyReads);
    this.multipartThreshold = b.multipartThreshold;
    this.writeConcurrency = b.writeConcurrency;
    this.listPageSize = b.listPageSize;
    this.contentMd5 = b.contentMd5;
    for (int i = 0; i < keyLocks.length; i++) {
      keyLocks[i] = new ReentrantLock();
    }
    try {
      if (b.createBucket) {
        createBucketIfMissing();
      } else {
        requests.retrying(() -> s3.headBucket(r -> r.bucket(bucket)));
      }
      this.conditional = switch (b.conditionalWrites) {
        case DISABLED -> false;
        case AUTO -> probeConditionalWrites();
        case REQUIRED -> {
          if (!probeConditionalWrites()) {
            throw new StorageException("S3 server at " + location + " does not honour If-None-Match on PUT, "
                + "and conditional writes are REQUIRED");
          }
          yield true;
        }
      };
    } catch (RuntimeException e) {
      s3.close();
      if (e instanceof StorageException se) {
        throw se;
      }
      throw requests.failure("open", location.toString(), e);
    }
    if (!conditional) {
      LOG.warn("S3 store {}: conditional PUTs unavailable; putIfAbsent falls back to HEAD-then-PUT, "
          + "which is not atomic between concurrent writers", location);
    }
  }

  /**
   * @param location where the blobs live
   * @return a builder with the default credential chain and default settings
   */
  public static Builder builder(S3Location location) {
    return new Builder(location);
  }

  /**
   * Opens a store with every default: credentials and (for AWS) region from the SDK's chains.
   *
   * @param location a location such as {@code s3:http://127.0.0.1:9000/bucket/prefix}
   * @return the store
   * @throws dev.drkit.core.ConfigException when the location is malformed
   * @throws StorageException when the bucket cannot be reached
   */
  public static S3BlobStore open(String location) {
    return builder(S3Location.parse(location)).build();
  }

  /** @return the location this store reads and writes */
  public S3Location location() {
    return location;
  }

  /** @return whether {@link #putIfAbsent} is a server-side atomic conditional PUT */
  public boolean conditionalWrites() {
    return conditional;
  }

  @Override
  public boolean putIfAbsent(String key, byte[] content) {
    Objects.requireNonNull(content, "content");
    return putIfAbsent(key, content, 0, content.length);
  }

  /**
   * Sends the range straight from the caller's buffer: the request body (and every part of a
   * multipart upload) reads a stream over it, retries included, instead of copying it as
   * {@link RequestBody#fromBytes} does.
   *
   * @param key the blob's key
   * @param content the buffer holding the content (not modified, not retained after the call)
   * @param offset where the content starts
   * @param length its length
   * @return {@code true} if stored, {@code false} if the key existed
   * @throws IndexOutOfBoundsException when the range is not inside {@code content}
   * @throws dev.drkit.core.StorageException when the server or the SDK fails
   */
  @Override
  public boolean putIfAbsent(String key, byte[] content, int offset, int length) {
    BlobKeys.validate(key);
    Objects.requireNonNull(content, "content");
    Objects.checkFromIndexSize(offset, length, content.length);
    ReentrantLock lock = lockFor(key);
    lock.lock();
    try {
      return putIfAbsentLocked(key, content, offset, length);
    } finally {
      lock.unlock();
    }
  }

  private boolean putIfAbsentLocked(String key, byte[] content, int offset, int length) {
    String writeId = UUID.randomUUID().toString();
    if (!conditional) {
      if (stat(key).isPresent()) {
        return false;
      }
      write(key, content, offset, length, writeId, false);
      return true;
    }
    for (int attempt = 1; ; attempt++) {
      try {
        write(key, content, offset, length, writeId, true);
        return true;
      } catch (S3Exception e) {
        if (e.statusCode() == 412) {
          return requests.isOurs(key, writeId);
        }
        if (e.statusCode() == 409 && attempt < 5) {
          // ConditionalRequestConflict: a concurrent conditional write to the key is in flight
          if (stat(key).isPresent()) {
            return requests.isOurs(key, writeId);
          }
          continue;
        }
        throw requests.failure("conditional put", key, e);
      }
    }
  }

  @Override
  public void put(String key, byte[] content) {
    BlobKeys.validate(key);
    Objects.requireNonNull(content, "content");
    ReentrantLock lock = lockFor(key);
    lock.lock();
    try {
      write(key, content, 0, content.length, UUID.randomUUID().toString(), false);
    } catch (S3Exception e) {
      throw requests.failure("put", key, e);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public byte[] get(String key) {
    BlobKeys.validate(key);
    return verifiedGet.get(key);
  }

  @Override
  public byte[] getRange(String key, long offset, int length) {
    BlobKeys.validate(key);
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("range of " + key + " must have offset >= 0 and length >= 0 but was "
          + offset + "+" + length);
    }
    if (length == 0) {
      long size = stat(key).orElseThrow(() -> new BlobNotFoundException(key)).size();
      if (offset > size) {
        throw new StorageException("range " + offset + "+0 of " + key + " starts past its end (" + size + " bytes)");
      }
      return new byte[0];
    }
    String range = "bytes=" + offset + "-" + (offset + length - 1);
    ResponseBytes<GetObjectResponse> bytes;
    try {
      bytes = requests.retrying(() -> s3.getObjectAsBytes(r -> r.bucket(bucket).key(requests.objectKey(key))
          .range(range)));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        throw new BlobNotFoundException(key);
      }
      if (e.statusCode() == 416) {
        throw new StorageException("range " + offset + "+" + length + " of " + key + " lies past its end", e);
      }
      throw requests.failure("ranged get", key, e);
    } catch (SdkException e) {
      throw requests.failure("ranged get", key, e);
    }
    byte[] data = bytes.asByteArray();
    if (data.length != length) {
      throw new StorageException("range " + offset + "+" + length + " of " + key + " extends past its end: got "
          + data.length + " bytes (Content-Range " + bytes.response().contentRange() + ")");
    }
    return data;
  }

  @Override
  public Optional<BlobInfo> stat(String key) {
    BlobKeys.validate(key);
    return requests.head(key).map(h -> new BlobInfo(key, h.contentLength()));
  }

  @Override
  public List<BlobInfo> list(String prefix) {
    BlobKeys.validatePrefix(prefix);
    List<BlobInfo> out = new ArrayList<>();
    ListObjectsV2Request request = ListObjectsV2Request.builder().bucket(bucket)
        .prefix(requests.objectKey(prefix)).maxKeys(listPageSize).build();
    try {
      for (S3Object o : requests.retrying(() -> listAll(request))) {
        String key = requests.blobKey(o.key());
        if (key != null) {
          out.add(new BlobInfo(key, o.size()));
        } else {
          LOG.debug("S3 store {}: skipping object {} (not a blob key)", location, o.key());
        }
      }
    } catch (SdkException e) {
      throw requests.failure("list", prefix.isEmpty() ? "(all)" : prefix, e);
    }
    out.sort(Comparator.comparing(BlobInfo::key));
    return out;
  }

  private List<S3Object> listAll(ListObjectsV2Request request) {
    List<S3Object> all = new ArrayList<>();
    s3.listObjectsV2Paginator(request).contents().forEach(all::add);
    return all;
  }

  @Override
  public boolean delete(String key) {
    BlobKeys.validate(key);
    ReentrantLock lock = lockFor(key);
    lock.lock();
    try {
      if (requests.head(key).isEmpty()) {
        return false;
      }
      requests.retrying(() -> s3.deleteObject(r -> r.bucket(bucket).key(requests.objectKey(key))));
      return true;
    } catch (SdkException e) {
      throw requests.failure("delete", key, e);
    } finally {
      lock.unlock();
    }
  }

  private ReentrantLock lockFor(String key) {
    return keyLocks[Math.floorMod(key.hashCode(), keyLocks.length)];
  }

  /** @return the builder's {@link Builder#writeConcurrency(int)}, default 4 */
  @Override
  public int writeConcurrency() {
    return writeConcurrency;
  }

  /** Closes the SDK client and its HTTP connections. */
  @Override
  public void close() {
    requests.close();
  }

  @Override
  public String toString() {
    return "S3BlobStore{" + location + (conditional ? ", conditional PUT" : ", HEAD-then-PUT") + "}";
  }

  private void write(String key, byte[] content, int offset, int length, String writeId, boolean ifAbsent) {
    String objectKey = requests.objectKey(key);
    Map<String, String> meta = Map.of(S3Requests.WRITE_ID, writeId, VerifiedGet.CHECKSUM,
        VerifiedGet.crc32c(content, offset, length));
    try {
      if (length > multipartThreshold) {
        multipart.upload(key, objectKey, content, offset, length, meta, ifAbsent);
        return;
      }
      requests.retrying(() -> s3.putObject(r -> {
        r.bucket(bucket).key(objectKey).contentLength((long) length).metadata(meta);
        if (contentMd5) {
          r.contentMD5(S3Requests.md5(content, offset, length));
        }
        if (ifAbsent) {
          r.ifNoneMatch("*");
        }
      }, S3Requests.body(content, offset, length)));
    } catch (S3Exception e) {
      throw e;
    } catch (SdkException | UncheckedIOException e) {
      throw requests.failure(ifAbsent ? "conditional put" : "put", key, e);
    }
  }

  private void createBucketIfMissing() {
    try {
      requests.retrying(() -> s3.headBucket(r -> r.bucket(bucket)));
    } catch (NoSuchBucketException e) {
      requests.retrying(() -> s3.createBucket(r -> r.bucket(bucket)));
      LOG.info("S3 store {}: created bucket {}", location, bucket);
    } catch (S3Exception e) {
      if (e.statusCode() != 404) {
        throw e;
      }
      requests.retrying(() -> s3.createBucket(r -> r.bucket(bucket)));
      LOG.info("S3 store {}: created bucket {}", location, bucket);
    }
  }

  /** Writes a probe object twice, the second time with If-None-Match: *; a 412 proves support. */
  private boolean probeConditionalWrites() {
    String probe = location.objectKey("~drkit-probe-" + UUID.randomUUID());
    byte[] one = {1};
    String md5 = S3Requests.md5(one, 0, 1);
    try {
      requests.retrying(() -> s3.putObject(r -> r.bucket(bucket).key(probe).contentMD5(md5),
          RequestBody.fromBytes(one)));
      try {
        requests.retrying(() -> s3.putObject(r -> r.bucket(bucket).key(probe).contentMD5(md5).ifNoneMatch("*"),
            RequestBody.fromBytes(one)));
        return false; // the header was ignored
      } catch (S3Exception e) {
        if (e.statusCode() == 412) {
          return true;
        }
        LOG.info("S3 store {}: conditional PUT probe answered {} {}; treating as unsupported", location,
            e.statusCode(), e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode());
        return false;
      }
    } finally {
      try {
        requests.retrying(() -> s3.deleteObject(r -> r.bucket(bucket).key(probe)));
      } catch (SdkException e) {
        LOG.warn("S3 store {}: could not delete probe object {}", location, probe, e);
      }
    }
  }

  /** Builds an {@link S3BlobStore}; every setting but the location has a default. */
  public static final class Builder {
    private final S3Location location;
    private @Nullable AwsCredentialsProvider credentials;
    private @Nullable String region;
    private @Nullable Boolean pathStyle;
    private long multipartThreshold = 16L << 20;
    private int partSize = 8 << 20;
    private int maxAttempts = 5;
    private Duration baseDelay = Duration.ofMillis(100);
    private Duration maxDelay = Duration.ofSeconds(10);
    private Duration apiCallTimeout = Duration.ofMinutes(5);
    private ConditionalWrites conditionalWrites = ConditionalWrites.AUTO;
    private boolean createBucket;
    private int listPageSize = 1000;
    private boolean contentMd5;
    private KeyLayout keyLayout = KeyLayout.PLAIN;
    private boolean verifyReads = true;
    private boolean signPayload = true;
    private int writeConcurrency = 4;

    private Builder(S3Location location) {
      this.location = Objects.requireNonNull(location, "location");
    }

    /**
     * @param credentials where credentials come from; default the SDK's default chain
     * @return this
     */
    public Builder credentials(AwsCredentialsProvider credentials) {
      this.credentials = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    /**
     * @param accessKeyId an access key id
     * @param secretAccessKey its secret
     * @return this, with fixed credentials (tests, servers with static keys)
     */
    public Builder staticCredentials(String accessKeyId, String secretAccessKey) {
      this.credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(
          Objects.requireNonNull(accessKeyId, "accessKeyId"), Objects.requireNonNull(secretAccessKey, "secretAccessKey")));
      return this;
    }

    /**
     * @param region the signing region; default {@code us-east-1} with an endpoint override,
     *     otherwise the SDK's region chain
     * @return this
     */
    public Builder region(String region) {
      this.region = Objects.requireNonNull(region, "region");
      return this;
    }

    /**
     * @param pathStyle whether to address buckets as {@code endpoint/bucket} rather than
     *     {@code bucket.endpoint}; default true with an endpoint override, false for AWS
     * @return this
     */
    public Builder pathStyle(boolean pathStyle) {
      this.pathStyle = pathStyle;
      return this;
    }

    /**
     * @param threshold blobs larger than this many bytes are uploaded in parts; default 16 MiB
     * @return this
     * @throws IllegalArgumentException when smaller than {@link #MIN_PART_SIZE}
     */
    public Builder multipartThreshold(long threshold) {
      if (threshold < MIN_PART_SIZE) {
        throw new IllegalArgumentException("multipartThreshold must be >= " + MIN_PART_SIZE + " but was " + threshold);
      }
      this.multipartThreshold = threshold;
      return this;
    }

    /**
     * @param partSize the size of each part but the last; default 8 MiB
     * @return this
     * @throws IllegalArgumentException when outside [5 MiB, 1 GiB]
     */
    public Builder partSize(int partSize) {
      if (partSize < MIN_PART_SIZE || partSize > (1 << 30)) {
        throw new IllegalArgumentException("partSize must be in [" + MIN_PART_SIZE + ", " + (1 << 30) + "] but was "
            + partSize);
      }
      this.partSize = partSize;
      return this;
    }

    /**
     * @param maxAttempts attempts per request including the first (retries on throttling, 5xx and
     *     I/O errors); default 5
     * @param baseDelay the first backoff delay, doubled per attempt with jitter; default 100 ms
     * @param maxDelay the longest backoff delay; default 10 s
     * @return this
     * @throws IllegalArgumentException when {@code maxAttempts < 1} or a delay is negative
     */
    public Builder retries(int maxAttempts, Duration baseDelay, Duration maxDelay) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be >= 1 but was " + maxAttempts);
      }
      if (baseDelay.isNegative() || maxDelay.isNegative()) {
        throw new IllegalArgumentException("retry delays must not be negative");
      }
      this.maxAttempts = maxAttempts;
      this.baseDelay = baseDelay;
      this.maxDelay = maxDelay;
      return this;
    }

    /**
     * @param timeout the longest one API call may take including retries; default 5 minutes
     * @return this
     * @throws IllegalArgumentException when not positive
     */
    public Builder apiCallTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("apiCallTimeout must be positive but was " + timeout);
      }
      this.apiCallTimeout = timeout;
      return this;
    }

    /**
     * @param mode how putIfAbsent is made atomic; default {@link ConditionalWrites#AUTO}
     * @return this
     */
    public Builder conditionalWrites(ConditionalWrites mode) {
      this.conditionalWrites = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /**
     * @param send whether to send {@code Content-MD5} with every PUT and part; default false.
     *     Transport integrity is already checked by the server without it: over HTTP the SigV4
     *     signature covers the body's SHA-256, over HTTPS TLS protects it; and drkit's repository
     *     format authenticates every blob end to end. Turn it on for buckets that demand it (S3
     *     Object Lock requires Content-MD5 or a checksum on PUT)
     * @return this
     */
    public Builder contentMd5(boolean send) {
      this.contentMd5 = send;
      return this;
    }

    /**
     * @param pageSize keys per ListObjectsV2 page, in [1, 1000]; default 1000
     * @return this
     * @throws IllegalArgumentException when outside [1, 1000]
     */
    public Builder listPageSize(int pageSize) {
      if (pageSize < 1 || pageSize > 1000) {
        throw new IllegalArgumentException("listPageSize must be in [1, 1000] but was " + pageSize);
      }
      this.listPageSize = pageSize;
      return this;
    }

    /**
     * @param layout how blob keys map to object keys; default {@link KeyLayout#PLAIN}. Use
     *     {@link KeyLayout#FILESYSTEM_SAFE} for servers that store objects as files. Every store
     *     opening one repository must use the same layout.
     * @return this
     */
    public Builder keyLayout(KeyLayout layout) {
      this.keyLayout = Objects.requireNonNull(layout, "layout");
      return this;
    }

    /**
     * @param verify whether whole-object gets check the body against the CRC32C stored in the
     *     object's metadata at write time, reading again on a mismatch (a torn read on servers
     *     whose replacement is not atomic for readers, or corruption); default true. Objects
     *     without the checksum (written by other tools) are returned unchecked.
     * @return this
     */
    public Builder verifyReads(boolean verify) {
      this.verifyReads = verify;
      return this;
    }

    /**
     * @param sign whether SigV4 covers a SHA-256 of every request body; default true. With false the
     *     requests say {@code UNSIGNED-PAYLOAD}: one SHA-256 pass less per byte on the client and one
     *     on the server. Safe over HTTPS (TLS protects the body) and on trusted paths (loopback,
     *     a private link); over plain HTTP on an untrusted network a body could then be altered in
     *     flight without the server noticing (drkit would still notice when reading: the
     *     CRC32C and the repository's authenticated encryption).
     * @return this
     */
    public Builder signPayload(boolean sign) {
      this.signPayload = sign;
      return this;
    }

    /**
     * @param uploads how many packs a backup uploads at once (see {@link BlobStore#writeConcurrency()});
     *     default 4. Each costs up to one pack of memory (16 MiB by default).
     * @return this
     */
    public Builder writeConcurrency(int uploads) {
      if (uploads < 1 || uploads > 16) {
        throw new IllegalArgumentException("writeConcurrency must be in [1, 16] but was " + uploads);
      }
      this.writeConcurrency = uploads;
      return this;
    }

    /**
     * @param create whether to create the bucket when it does not exist; default false (a missing
     *     bucket is a {@link StorageException})
     * @return this
     */
    public Builder createBucketIfMissing(boolean create) {
      this.createBucket = create;
      return this;
    }

    /**
     * Connects, checks (or creates) the bucket and probes conditional PUT support.
     *
     * @return the store
     * @throws StorageException when the bucket is unreachable or missing, or conditional writes
     *     are required but unsupported
     */
    public S3BlobStore build() {
      S3Client client = S3ClientFactory.create(new S3ClientFactory.Settings(location, credentials, region, pathStyle,
          maxAttempts, baseDelay, maxDelay, apiCallTimeout, signPayload));
      return new S3BlobStore(this, client);
    }
  }
}
