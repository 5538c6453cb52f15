package dev.drkit.zookeeper.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drkit.core.FailoverState;
import dev.drkit.spi.ServiceState;
import dev.drkit.spi.Site;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JSON form of a {@link ServiceState} in its znode (format 1):
 * <pre>{"format":1,"writeId":"...","service":"orders","state":"PRIMARY_ACTIVE","epoch":1,
 *  "activeSite":"PRIMARY","since":"2026-01-01T00:00:00Z","reason":"initial","attributes":{}}</pre>
 * {@code writeId} is unique per write: after a connection loss it tells whether the write that
 * was retried had in fact been applied. Internal: not part of the API.
 */
public final class StateCodec {
  /** The format this codec writes. */
  public static final int FORMAT = 1;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private StateCodec() {}

  /**
   * @param state the service's failover state to encode
   * @param writeId this write's unique id
   * @return its JSON bytes
   */
  public static byte[] encode(ServiceState state, String writeId) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("format", FORMAT);
    root.put("writeId", writeId);
    root.put("service", state.service());
    root.put("state", state.state().name());
    root.put("epoch", state.epoch());
    root.put("activeSite", state.activeSite().name());
    root.put("since", state.since().toString());
    root.put("reason", state.reason());
    ObjectNode attributes = root.putObject("attributes");
    state.attributes().forEach(attributes::put);
    try {
      return MAPPER.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode the state of " + state.service(), e);
    }
  }

  /**
   * @param bytes a znode's data
   * @return the write id stored with it
   * @throws IllegalArgumentException when the data is not a state of a known format
   */
  public static String writeId(byte[] bytes) {
    return text(tree(bytes), "writeId");
  }

  /**
   * @param bytes a znode's data
   * @return the state
   * @throws IllegalArgumentException naming the field when the data is malformed
   */
  public static ServiceState decode(byte[] bytes) {
    JsonNode root = tree(bytes);
    Map<String, String> attributes = new LinkedHashMap<>();
    JsonNode attrs = root.get("attributes");
    if (attrs == null || !attrs.isObject()) {
      throw new IllegalArgumentException("field 'attributes' missing or not an object");
    }
    for (Map.Entry<String, JsonNode> e : attrs.properties()) {
      if (!e.getValue().isTextual()) {
        throw new IllegalArgumentException("attribute '" + e.getKey() + "' is not a string");
      }
      attributes.put(e.getKey(), e.getValue().asText());
    }
    JsonNode epoch = root.get("epoch");
    if (epoch == null || !epoch.canConvertToLong()) {
      throw new IllegalArgumentException("field 'epoch' missing or not an integer");
    }
    try {
      return new ServiceState(text(root, "service"), FailoverState.valueOf(text(root, "state")), epoch.asLong(),
          Site.valueOf(text(root, "activeSite")), Instant.parse(text(root, "since")), text(root, "reason"), attributes);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed state: " + e.getMessage(), e);
    }
  }

  private static JsonNode tree(byte[] bytes) {
    JsonNode root;
    try {
      root = MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("not a JSON object");
    }
    JsonNode format = root.get("format");
    if (format == null || format.asInt(-1) != FORMAT) {
      throw new IllegalArgumentException("unknown format " + format + " (this version reads format " + FORMAT + ")");
    }
    return root;
  }

  private static String text(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null || !n.isTextual()) {
      throw new IllegalArgumentException("field '" + field + "' missing or not a string");
    }
    return n.asText();
  }
}
