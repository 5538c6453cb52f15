package dev.drkit.backup.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drkit.core.IntegrityException;
import java.io.IOException;

/** The shared JSON mapper of repository metadata (config, key slots, snapshots, locks). */
public final class Json {
  /** Thread-safe once configured. */
  public static final ObjectMapper MAPPER = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private Json() {}

  /** @param value a value @return its JSON bytes */
  public static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
    }
  }

  /**
   * @param <T> the type
   * @param bytes JSON
   * @param type the type
   * @param what the object's name for errors
   * @return the value
   * @throws IntegrityException naming {@code what} when malformed
   */
  public static <T> T read(byte[] bytes, Class<T> type, String what) {
    try {
      T v = MAPPER.readValue(bytes, type);
      if (v == null) {
        throw new IntegrityException(what + " is empty");
      }
      return v;
    } catch (IOException e) {
      throw new IntegrityException(what + " is malformed: " + e.getMessage(), e);
    }
  }
}
