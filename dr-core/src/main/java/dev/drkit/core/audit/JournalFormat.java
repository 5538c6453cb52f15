package dev.drkit.core.audit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drkit.core.spi.DrEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The line format shared by the writer and the verifier. A line is
 * {@code {"seq":N,"time":...,"type":...,"severity":...,"service":...,"epoch":N,"message":...,
 * "attributes":{...},"prev":"<64 hex>","hash":"<64 hex>"}}: {@code prev} is the SHA-256 of the
 * previous line's bytes (without its newline), {@code hash} the SHA-256 of this line's bytes
 * before {@code ,"hash":}.
 */
final class JournalFormat {
  static final JsonFactory JSON = JsonFactory.builder().build();
  static final ObjectMapper MAPPER = new ObjectMapper(JSON);
  static final byte[] HASH_PREFIX = ",\"hash\":\"".getBytes(StandardCharsets.US_ASCII);
  /** Length of {@code ,"hash":"<64 hex>"}}. */
  static final int HASH_SUFFIX_LENGTH = HASH_PREFIX.length + 64 + 2;
  /** The type of the first line of every journal. */
  static final String CREATED_TYPE = "audit.journal.created";
  /** The format named in the first line. */
  static final String FORMAT = "drkit-audit/1";

  private static final HexFormat HEX = HexFormat.of();

  private JournalFormat() {}

  /** A line read back. */
  record Parsed(long seq, String prev, DrEvent event) {}

  static byte[] encode(long seq, DrEvent event, String prev) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeNumberField("seq", seq);
      g.writeStringField("time", event.time().toString());
      g.writeStringField("type", event.type());
      g.writeStringField("severity", event.severity().name());
      g.writeStringField("service", event.service());
      g.writeNumberField("epoch", event.epoch());
      g.writeStringField("message", event.message());
      g.writeObjectFieldStart("attributes");
      for (Map.Entry<String, String> a : event.attributes().entrySet()) {
        g.writeStringField(a.getKey(), a.getValue());
      }
      g.writeEndObject();
      g.writeStringField("prev", prev);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("encoding an audit line in memory", e);
    }
    byte[] body = out.toByteArray();
    int bodyLength = body.length - 1; // without the closing brace
    String hash = sha256(body, 0, bodyLength);
    byte[] line = Arrays.copyOf(body, bodyLength + HASH_SUFFIX_LENGTH);
    System.arraycopy(HASH_PREFIX, 0, line, bodyLength, HASH_PREFIX.length);
    byte[] hex = hash.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(hex, 0, line, bodyLength + HASH_PREFIX.length, 64);
    line[line.length - 2] = '"';
    line[line.length - 1] = '}';
    return line;
  }

  /** @return whether the line ends in a well-formed {@code hash} field matching its content */
  static boolean ownHashMatches(byte[] line, int length) {
    if (length < HASH_SUFFIX_LENGTH + 2) {
      return false;
    }
    int body = length - HASH_SUFFIX_LENGTH;
    for (int i = 0; i < HASH_PREFIX.length; i++) {
      if (line[body + i] != HASH_PREFIX[i]) {
        return false;
      }
    }
    if (line[length - 2] != '"' || line[length - 1] != '}') {
      return false;
    }
    String stored = new String(line, body + HASH_PREFIX.length, 64, StandardCharsets.US_ASCII);
    return stored.equals(sha256(line, 0, body));
  }

  static Parsed parse(byte[] line, int length) throws IOException {
    JsonNode n = MAPPER.readTree(JSON.createParser(line, 0, length));
    if (n == null || !n.isObject()) {
      throw new IOException("not a JSON object");
    }
    long seq = requireField(n, "seq").asLong(-1);
    if (!n.get("seq").canConvertToLong()) {
      throw new IOException("seq is not a number");
    }
    String prev = requireField(n, "prev").asText();
    Map<String, String> attributes = new LinkedHashMap<>();
    JsonNode attrs = n.get("attributes");
    if (attrs != null && attrs.isObject()) {
      for (Map.Entry<String, JsonNode> e : attrs.properties()) {
        attributes.put(e.getKey(), e.getValue().asText());
      }
    }
    try {
      JsonNode service = n.get("service");
      DrEvent event = new DrEvent(Instant.parse(requireField(n, "time").asText()), requireField(n, "type").asText(),
          DrEvent.Severity.valueOf(requireField(n, "severity").asText()),
          service == null || service.isNull() ? null : service.asText(), requireField(n, "epoch").asLong(),
          requireField(n, "message").asText(), attributes);
      return new Parsed(seq, prev, event);
    } catch (RuntimeException e) {
      throw new IOException("malformed field: " + e.getMessage(), e);
    }
  }

  private static JsonNode requireField(JsonNode n, String field) throws IOException {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      throw new IOException("missing field '" + field + "'");
    }
    return v;
  }

  static String sha256(byte[] bytes, int offset, int length) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(bytes, offset, length);
      return HEX.formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform provides SHA-256", e);
    }
  }
}
