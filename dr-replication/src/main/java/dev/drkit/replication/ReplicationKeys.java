package dev.drkit.replication;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The pre-shared keys a {@link TcpTransport} authenticates replication peers with
 * ({@code docs/replication-protocol.md} §4.1): a set of accepted keys, each named by a key id, and
 * the one this side uses when it connects. A backup accepts a session under any key of the set, so
 * keys can be rotated without downtime: add the new key to every backup, switch the primaries to it
 * with {@link #use(String)}, then drop the old key.
 *
 * <p>Immutable; secrets are copied in and never printed ({@link #toString()} lists key ids only).
 */
public final class ReplicationKeys {
  /** The shortest secret accepted: 256 bits. */
  public static final int MIN_SECRET_BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();
  private final Map<String, byte[]> secrets;
  private final String activeId;

  private ReplicationKeys(Map<String, byte[]> secrets, String activeId) {
    this.secrets = secrets;
    this.activeId = activeId;
  }

  /**
   * @param id the key id (1 to 64 printable ASCII characters, sent in clear in the handshake)
   * @param secret the secret, at least {@value #MIN_SECRET_BYTES} bytes (copied)
   * @return a key set holding and using that key
   * @throws IllegalArgumentException if the id or the secret is not acceptable
   */
  public static ReplicationKeys of(String id, byte[] secret) {
    Map<String, byte[]> m = new LinkedHashMap<>();
    m.put(checkId(id), checkSecret(id, secret));
    return new ReplicationKeys(Collections.unmodifiableMap(m), id);
  }

  /**
   * A fresh random 256-bit key from {@link SecureRandom}, for instance one per drill run.
   *
   * @param id the key id
   * @return a key set holding and using it
   * @throws IllegalArgumentException if the id is not acceptable
   */
  public static ReplicationKeys generate(String id) {
    byte[] secret = new byte[MIN_SECRET_BYTES];
    RANDOM.nextBytes(secret);
    try {
      return of(id, secret);
    } finally {
      Arrays.fill(secret, (byte) 0);
    }
  }

  /**
   * @param id another key id to accept
   * @param secret its secret (copied)
   * @return a copy that also accepts that key (and still uses the same one)
   * @throws IllegalArgumentException if the id is already present or the id or secret is not acceptable
   */
  public ReplicationKeys withKey(String id, byte[] secret) {
    if (secrets.containsKey(checkId(id))) {
      throw new IllegalArgumentException("replication key id '" + id + "' is already present");
    }
    Map<String, byte[]> m = new LinkedHashMap<>(secrets);
    m.put(id, checkSecret(id, secret));
    return new ReplicationKeys(Collections.unmodifiableMap(m), activeId);
  }

  /**
   * @param id the key id to use when connecting
   * @return a copy using that key
   * @throws IllegalArgumentException if the set has no key of that id
   */
  public ReplicationKeys use(String id) {
    if (!secrets.containsKey(Objects.requireNonNull(id, "id"))) {
      throw new IllegalArgumentException("replication keys have no key id '" + id + "'; present: " + secrets.keySet());
    }
    return new ReplicationKeys(secrets, id);
  }

  /** @return the id of the key used when connecting */
  public String activeId() {
    return activeId;
  }

  /** @return every accepted key id */
  public Set<String> ids() {
    return secrets.keySet();
  }

  /** @param id a key id @return a copy of its secret, or {@code null} if the set has no such key */
  byte @Nullable [] secret(String id) {
    byte[] s = secrets.get(id);
    return s == null ? null : s.clone();
  }

  /** Lists the key ids, never the secrets. */
  @Override
  public String toString() {
    return "ReplicationKeys" + secrets.keySet() + " using '" + activeId + "'";
  }

  private static String checkId(String id) {
    Objects.requireNonNull(id, "id");
    byte[] b = id.getBytes(StandardCharsets.US_ASCII);
    if (id.isEmpty() || id.length() > 64 || !id.chars().allMatch(c -> c > 0x20 && c < 0x7f) || b.length != id.length()) {
      throw new IllegalArgumentException("replication key id must be 1 to 64 printable ASCII characters, was '" + id
          + "'");
    }
    return id;
  }

  private static byte[] checkSecret(String id, byte[] secret) {
    Objects.requireNonNull(secret, "secret");
    if (secret.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException("replication key '" + id + "' must be at least " + MIN_SECRET_BYTES
          + " bytes, was " + secret.length);
    }
    return secret.clone();
  }
}
