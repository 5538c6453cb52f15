package dev.drkit.core.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drkit.core.FailoverState;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The one JSON form of a {@link ServiceState}, written by every durable {@link
 * dev.drkit.core.spi.StateStore} of drkit (the local file store and the ZooKeeper store), format 1:
 * <pre>{"format":1, ...the store's own fields..., "service":"orders","state":"PRIMARY_ACTIVE",
 *  "epoch":1,"activeSite":"PRIMARY","since":"2026-01-01T00:00:00Z","reason":"initial",
 *  "attributes":{"k":"v"}}</pre>
 *
 * <p>Reading is strict, because a state read wrongly is worse than one not read: {@code format}
 * must be 1, {@code service}, {@code state}, {@code activeSite}, {@code since} and {@code reason}
 * must be strings of valid values, {@code epoch} a non-negative integer, and {@code attributes} an
 * object of strings. A state without an epoch is refused, never read as 0: reading a damaged state
 * as epoch 0 would take the fencing token back below what the sites have seen. Every drkit store
 * has written all of these fields since format 1 was introduced (the file store since its first
 * version), so refusing costs no compatibility. Each refusal is a
 * {@link MalformedStateException} naming the field; the store adds where it read the bytes.
 * Internal: shared by drkit's modules, not part of the API.
 */
public final class ServiceStateCodec {
  /** The format this codec writes and reads. */
  public static final int FORMAT = 1;
  /** The largest encoded state read; bigger input is refused before it is parsed. */
  public static final int MAX_BYTES = 1 << 20;

  /** Strict: duplicate fields and anything after the object are refused; nesting is shallow. */
  private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
          .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).build())
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .build())
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private ServiceStateCodec() {}

  /**
   * Encodes a state.
   *
   * @param state the state to encode
   * @param envelope the store's own fields written after {@code format} (for example the file
   *     store's {@code version} or the ZooKeeper store's {@code writeId}); values are strings or
   *     numbers, and their names must not be one of the state's
   * @return the JSON text, on one line
   * @throws IllegalArgumentException when an envelope field has a state field's name or a value of
   *     another type
   */
  public static String encode(ServiceState state, Map<String, ?> envelope) {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(envelope, "envelope");
    ObjectNode n = JSON.createObjectNode();
    n.put("format", FORMAT);
    envelope.forEach((k, v) -> {
      if (n.has(k) || isStateField(k)) {
        throw new IllegalArgumentException("envelope field '" + k + "' collides with a field of the state");
      }
      if (v instanceof String s) {
        n.put(k, s);
      } else if (v instanceof Long l) {
        n.put(k, l);
      } else if (v instanceof Integer i) {
        n.put(k, i);
      } else {
        throw new IllegalArgumentException("envelope field '" + k + "' must be a string or a number but was " + v);
      }
    });
    n.put("service", state.service());
    n.put("state", state.state().name());
    n.put("epoch", state.epoch());
    n.put("activeSite", state.activeSite().name());
    n.put("since", state.since().toString());
    n.put("reason", state.reason());
    ObjectNode a = n.putObject("attributes");
    state.attributes().forEach(a::put);
    try {
      return JSON.writeValueAsString(n);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode the state of service '" + state.service() + "'", e);
    }
  }

  private static boolean isStateField(String k) {
    return switch (k) {
      case "format", "service", "state", "epoch", "activeSite", "since", "reason", "attributes" -> true;
      default -> false;
    };
  }

  /**
   * Parses encoded bytes into their JSON object, checking the format; read the state with
   * {@link #decode} and the store's own fields with {@link #text} and {@link #integer}.
   *
   * @param bytes the bytes as stored
   * @return the JSON object
   * @throws MalformedStateException when the bytes are too large, not a JSON object, or not of
   *     format 1
   */
  public static JsonNode parse(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    if (bytes.length > MAX_BYTES) {
      throw new MalformedStateException("a state is at most " + MAX_BYTES + " bytes but this one has " + bytes.length);
    }
    JsonNode root;
    try {
      root = JSON.readTree(bytes);
    } catch (IOException e) {
      String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
      throw new MalformedStateException("not JSON: " + shorten(String.valueOf(why)), e);
    }
    if (root == null || !root.isObject()) {
      throw new MalformedStateException("not a JSON object");
    }
    JsonNode format = root.get("format");
    if (format == null || !format.isInt() || format.intValue() != FORMAT) {
      throw new MalformedStateException("unknown format " + (format == null ? "(none)" : format.toString())
          + "; this version reads format " + FORMAT);
    }
    return root;
  }

  /**
   * Reads the state from a parsed object.
   *
   * @param root the object {@link #parse} returned
   * @return the state
   * @throws MalformedStateException naming the first field that is missing, of the wrong type or
   *     not a valid value
   */
  public static ServiceState decode(JsonNode root) {
    Objects.requireNonNull(root, "root");
    String service = text(root, "service");
    FailoverState state = constant(FailoverState.class, root, "state");
    long epoch = integer(root, "epoch");
    Site site = constant(Site.class, root, "activeSite");
    Instant since;
    try {
      since = Instant.parse(text(root, "since"));
    } catch (DateTimeParseException e) {
      throw new MalformedStateException("field 'since' is not an ISO-8601 instant: " + shorten(root.get("since")));
    }
    String reason = text(root, "reason");
    JsonNode attrs = root.get("attributes");
    if (attrs == null || !attrs.isObject()) {
      throw new MalformedStateException("field 'attributes' missing or not an object");
    }
    Map<String, String> attributes = new TreeMap<>();
    for (Map.Entry<String, JsonNode> e : attrs.properties()) {
      if (!e.getValue().isTextual()) {
        throw new MalformedStateException("attribute '" + shorten(e.getKey()) + "' is not a string");
      }
      attributes.put(e.getKey(), e.getValue().textValue());
    }
    try {
      return new ServiceState(service, state, epoch, site, since, reason, attributes);
    } catch (RuntimeException e) {
      throw new MalformedStateException("not a valid state: " + e.getMessage(), e);
    }
  }

  /**
   * @param root a parsed object
   * @param field the name of a string field
   * @return its value
   * @throws MalformedStateException when it is missing or not a string
   */
  public static String text(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null || !n.isTextual()) {
      throw new MalformedStateException("field '" + field + "' missing or not a string");
    }
    return n.textValue();
  }

  /**
   * @param root a parsed object
   * @param field the name of an integer field
   * @return its value
   * @throws MalformedStateException when it is missing or not an integer that fits a {@code long}
   *     (a string of digits, a fraction or a number too large are refused)
   */
  public static long integer(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null || !n.isIntegralNumber() || !n.canConvertToLong()) {
      throw new MalformedStateException("field '" + field + "' missing or not an integer");
    }
    return n.longValue();
  }

  private static <E extends Enum<E>> E constant(Class<E> type, JsonNode root, String field) {
    String s = text(root, field);
    try {
      return Enum.valueOf(type, s);
    } catch (IllegalArgumentException e) {
      throw new MalformedStateException("field '" + field + "' is not a " + type.getSimpleName() + ": "
          + shorten(root.get(field)));
    }
  }

  private static String shorten(Object o) {
    String s = String.valueOf(o);
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }

  /** Encoded bytes that are not a state this codec reads; the message names the field. */
  public static final class MalformedStateException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong, naming the field
     */
    public MalformedStateException(String message) {
      super(message);
    }

    /**
     * @param message what is wrong, naming the field
     * @param cause the parser's error
     */
    public MalformedStateException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
