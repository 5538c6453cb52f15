/**
 * drkit's BlobStore on Amazon S3 and S3-compatible stores (AWS SDK for Java v2, whose jars are
 * automatic modules named by their Automatic-Module-Name).
 *
 * <p>The name ends in a digit, as the artifact and package do ("s3" is the service's name).
 */
@SuppressWarnings("module")
module dev.drkit.s3 {
  exports dev.drkit.s3;

  requires transitive dev.drkit.core;
  requires transitive software.amazon.awssdk.services.s3;
  requires transitive software.amazon.awssdk.auth;
  requires transitive software.amazon.awssdk.regions;
  requires software.amazon.awssdk.awscore;
  requires software.amazon.awssdk.core;
  requires software.amazon.awssdk.http;
  requires software.amazon.awssdk.http.auth.aws;
  requires software.amazon.awssdk.http.urlconnection;
  requires software.amazon.awssdk.retries.api;
  requires software.amazon.awssdk.retries;
  requires software.amazon.awssdk.http.auth.spi;
  requires static transitive org.jspecify;
  requires org.slf4j;
}
