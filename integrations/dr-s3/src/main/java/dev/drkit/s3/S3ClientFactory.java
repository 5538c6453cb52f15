package dev.drkit.s3;

import dev.drkit.core.StorageException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.auth.scheme.S3AuthSchemeProvider;

/**
 * Builds the AWS SDK client an {@link S3BlobStore} talks through, from the store builder's
 * settings: the JDK's {@code HttpURLConnection} transport, credentials (the SDK's default chain
 * unless given), endpoint, region and addressing style, the SDK's standard retry strategy, and
 * whole-body signing without aws-chunked framing or the SDK's newer default checksums (which
 * S3-compatible servers support unevenly).
 */
final class S3ClientFactory {
  private S3ClientFactory() {}

  /**
   * The settings that shape the client.
   *
   * @param location the endpoint (null for AWS) and bucket
   * @param credentials the credentials, or null for the SDK's default chain
   * @param region the signing region, or null: {@code us-east-1} with an endpoint override,
   *     otherwise the SDK's region chain
   * @param pathStyle whether to address buckets as {@code endpoint/bucket}, or null: true with an
   *     endpoint override, false for AWS
   * @param maxAttempts attempts per request, including the first
   * @param baseDelay the first backoff delay of the SDK's retries
   * @param maxDelay the longest backoff delay of the SDK's retries
   * @param apiCallTimeout the longest one API call may take, retries included
   * @param signPayload whether SigV4 covers a SHA-256 of every request body
   */
  record Settings(S3Location location, @Nullable AwsCredentialsProvider credentials, @Nullable String region,
      @Nullable Boolean pathStyle, int maxAttempts, Duration baseDelay, Duration maxDelay, Duration apiCallTimeout,
      boolean signPayload) {}

  /**
   * @param s the settings
   * @return a new client; the caller closes it
   * @throws StorageException when the SDK refuses the configuration
   */
  static S3Client create(Settings s) {
    S3Location location = s.location();
    S3ClientBuilder b = S3Client.builder()
        .httpClientBuilder(UrlConnectionHttpClient.builder()
            .connectionTimeout(Duration.ofSeconds(10)).socketTimeout(Duration.ofSeconds(60)))
        .credentialsProvider(s.credentials() != null ? s.credentials() : DefaultCredentialsProvider.builder().build())
        .forcePathStyle(s.pathStyle() != null ? s.pathStyle() : location.endpoint() != null)
        // bodies are byte arrays of known length: sign them whole rather than in aws-chunked
        // frames (one hash pass, no per-chunk signatures, supported by every S3 server)
        .serviceConfiguration(c -> c.chunkedEncodingEnabled(false))
        // S3-compatible servers differ in their support of the SDK's newer default checksums
        // (aws-chunked trailers); Content-MD5 on every PUT and part protects integrity instead.
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .overrideConfiguration(o -> o.apiCallTimeout(s.apiCallTimeout())
            .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(s.maxAttempts())
                .backoffStrategy(BackoffStrategy.exponentialDelay(s.baseDelay(), s.maxDelay())).build()));
    if (!s.signPayload()) {
      S3AuthSchemeProvider defaults = S3AuthSchemeProvider.defaultProvider();
      b.authSchemeProvider(params -> defaults.resolveAuthScheme(params).stream()
          .map(option -> option.toBuilder().putSignerProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, false)
              .build())
          .toList());
    }
    if (location.endpoint() != null) {
      b.endpointOverride(location.endpoint());
      b.region(Region.of(s.region() != null ? s.region() : "us-east-1"));
    } else if (s.region() != null) {
      b.region(Region.of(s.region()));
    }
    try {
      return b.build();
    } catch (SdkException e) {
      throw new StorageException("cannot configure the S3 client for " + location + ": " + e.getMessage(), e);
    }
  }
}
