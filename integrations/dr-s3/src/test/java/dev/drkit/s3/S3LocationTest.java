package dev.drkit.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.ConfigException;
import java.net.URI;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class S3LocationTest {
  @ParameterizedTest
  @CsvSource({
      "s3:http://127.0.0.1:9000/bucket/prefix,          http://127.0.0.1:9000, bucket, prefix/",
      "s3:http://127.0.0.1:9000/bucket,                 http://127.0.0.1:9000, bucket, ''",
      "s3:http://127.0.0.1:9000/bucket/,                http://127.0.0.1:9000, bucket, ''",
      "s3:https://minio.example:443/my-bkt/a/b/c,       https://minio.example:443, my-bkt, a/b/c/",
      "s3:https://s3.example/bkt.with.dots/x,           https://s3.example, bkt.with.dots, x/",
      "s3://aws-bucket/backups/db,                      , aws-bucket, backups/db/",
      "s3://aws-bucket,                                 , aws-bucket, ''"})
  void parsesEndpointBucketAndPrefix(String text, String endpoint, String bucket, String prefix) {
    S3Location location = S3Location.parse(text);
    assertThat(location.endpoint()).isEqualTo(endpoint == null ? null : URI.create(endpoint));
    assertThat(location.bucket()).isEqualTo(bucket);
    assertThat(location.prefix()).isEqualTo(prefix);
    assertThat(S3Location.parse(location.toString())).isEqualTo(location);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "file:/tmp/repo", "s3:", "s3://", "s3:http://127.0.0.1:9000", "s3:http://127.0.0.1:9000/",
      "s3:ftp://host/bucket", "s3:http://127.0.0.1:9000/Upper/x", "s3:http://127.0.0.1:9000/ab/x",
      "s3:http://127.0.0.1:9000/bucket/a//b", "s3:http://127.0.0.1:9000/bucket/../b",
      "s3:http://user:pw@127.0.0.1:9000/bucket", "s3:http://127.0.0.1:9000/bucket?x=1", "s3:http://[bad/bucket",
      "s3:http://127.0.0.1:9000/bucket/sp ace"})
  void rejectsMalformedLocationsNamingTheRepoField(String text) {
    assertThatThrownBy(() -> S3Location.parse(text)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("repo");
  }

  @ParameterizedTest
  @CsvSource({"bucket/prefix, prefix/", "bucket, ''"})
  void mapsBlobKeysUnderThePrefix(String path, String prefix) {
    S3Location location = S3Location.parse("s3:http://127.0.0.1:1/" + path);
    assertThat(location.objectKey("snapshots/abc")).isEqualTo(prefix + "snapshots/abc");
  }
}
