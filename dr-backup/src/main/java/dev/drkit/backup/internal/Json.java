package dev.drkit.backup.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drkit.backup.BackupStats;
import dev.drkit.core.IntegrityException;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JSON of repository metadata: the shared data-binding mapper (snapshots, locks, and what is written)
 * and a streaming reader of flat objects (the config and key slots, read before anything else).
 *
 * <p>Setting up data binding for the first time costs a fresh process a noticeable share of its
 * start-up in class loading and introspection (measured in {@code benchmarks/RESULTS.md}, dr-backup
 * section). Opening an encrypted repository reads the config and the key slot with the streaming
 * reader, which costs next to nothing, and runs the key derivation while
 * {@link #warmUpInBackground()} sets up data binding on the other core.
 */
public final class Json {
  private static final Logger LOG = LoggerFactory.getLogger(Json.class);
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final AtomicBoolean WARMING = new AtomicBoolean();

  /** The mapper, set up on first use (loading this class alone does not set up data binding). */
  private static final class Mapper {
    static final ObjectMapper INSTANCE = new ObjectMapper(FACTORY)
        .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  }

  private Json() {}

  /**
   * Sets up data binding for the metadata types on a daemon thread (a round trip of each), so that a
   * caller busy with something else (the key derivation) finds it ready. Only the first call in a
   * process starts the thread; failures are only logged.
   */
  public static void warmUpInBackground() {
    if (!WARMING.compareAndSet(false, true)) {
      return;
    }
    Thread t = dev.drkit.core.internal.DrkitThreads.create(() -> {
      try {
        SnapshotFiles.SnapshotJson snap = new SnapshotFiles.SnapshotJson(1, "2000-01-01T00:00:00Z", "h", "s",
            List.of("p"), List.of("t"), "full", null, List.of("00"), new BackupStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
        read(write(snap), SnapshotFiles.SnapshotJson.class, "warm-up");
        Locks.LockFile lock = new Locks.LockFile("o", "h", 1, false, "2000-01-01T00:00:00Z", "2000-01-01T00:00:00Z");
        read(write(lock), Locks.LockFile.class, "warm-up");
      } catch (RuntimeException | LinkageError e) {
        LOG.debug("JSON warm-up failed (harmless)", e);
      }
    }, "drkit-json-warm-up", true);
    t.start();
  }

  /**
   * Reads a JSON object whose values are strings, integers, booleans or null (nested values are
   * skipped), without data binding.
   *
   * @param bytes JSON
   * @param what the object's name for errors
   * @return its members: {@link String}, {@link Long}, {@link Boolean} or null values
   * @throws IntegrityException naming {@code what} when malformed
   */
  public static Map<String, @Nullable Object> readFlat(byte[] bytes, String what) {
    try (JsonParser p = FACTORY.createParser(bytes)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IntegrityException(what + " is malformed: not a JSON object");
      }
      Map<String, @Nullable Object> out = new HashMap<>();
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        if (t != JsonToken.FIELD_NAME) {
          throw new IntegrityException(what + " is malformed: unexpected " + t);
        }
        String name = p.currentName();
        JsonToken v = p.nextToken();
        switch (v) {
          case VALUE_STRING -> out.put(name, p.getText());
          case VALUE_NUMBER_INT -> out.put(name, p.getLongValue());
          case VALUE_TRUE, VALUE_FALSE -> out.put(name, v == JsonToken.VALUE_TRUE);
          case VALUE_NULL -> out.put(name, null);
          case START_OBJECT, START_ARRAY -> p.skipChildren();
          default -> throw new IntegrityException(what + " is malformed: unexpected " + v + " for " + name);
        }
      }
      if (p.nextToken() != null) {
        throw new IntegrityException(what + " is malformed: data after the object");
      }
      return out;
    } catch (IOException e) {
      throw new IntegrityException(what + " is malformed: " + detail(e), e);
    }
  }

  /** Jackson's own message without its multi-line source location. */
  private static @Nullable String detail(IOException e) {
    return e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
  }

  /**
   * @param members what {@link #readFlat} returned
   * @param name a member
   * @param what the object's name for errors
   * @return the member's string value, or null when absent or null
   * @throws IntegrityException when it is not a string
   */
  public static @Nullable String string(Map<String, @Nullable Object> members, String name, String what) {
    Object v = members.get(name);
    if (v != null && !(v instanceof String)) {
      throw new IntegrityException(what + " is malformed: " + name + " is not a string");
    }
    return (String) v;
  }

  /**
   * @param members what {@link #readFlat} returned
   * @param name a member
   * @param what the object's name for errors
   * @return the member's int value, 0 when absent or null
   * @throws IntegrityException when it is not an integer in int's range
   */
  public static int integer(Map<String, @Nullable Object> members, String name, String what) {
    Object v = members.get(name);
    if (v == null) {
      return 0;
    }
    if (!(v instanceof Long l) || l != l.intValue()) {
      throw new IntegrityException(what + " is malformed: " + name + " is not an integer");
    }
    return l.intValue();
  }

  /** @param value a value @return its JSON bytes */
  public static byte[] write(Object value) {
    try {
      return Mapper.INSTANCE.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
    }
  }

  /**
   * @param <T> the type
   * @param bytes JSON
   * @param type the class to bind the JSON to
   * @param what the object's name for errors
   * @return the value
   * @throws IntegrityException naming {@code what} when malformed
   */
  public static <T> T read(byte[] bytes, Class<T> type, String what) {
    try {
      T v = Mapper.INSTANCE.readValue(bytes, type);
      if (v == null) {
        throw new IntegrityException(what + " is empty");
      }
      return v;
    } catch (IOException e) {
      throw new IntegrityException(what + " is malformed: " + detail(e), e);
    }
  }
}
