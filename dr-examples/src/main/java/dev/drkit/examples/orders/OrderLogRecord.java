package dev.drkit.examples.orders;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Objects;

/**
 * One change as the orders example writes it to its replication log: an order inserted (the
 * order's JSON, the format the log has always held) or an order deleted ({@code {"deleted": order}},
 * the order as it was when deleted). A bulk delete is one record per deleted order, as row-level
 * change capture would write it, so a replica and a rebuild apply it record by record and a
 * point-in-time rebuild can stop between any two of them.
 *
 * @param order the order inserted, or the order deleted
 * @param deleted whether the record deletes the order
 */
public record OrderLogRecord(Order order, boolean deleted) {
  /** Decimals read exactly: an order's time is decimal seconds with nine digits, more than a double holds. */
  private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
  private static final String DELETED = "deleted";

  /** Validates. */
  public OrderLogRecord {
    Objects.requireNonNull(order, "order");
  }

  /**
   * @param order an inserted order
   * @return its record's payload
   * @throws IOException when the order cannot be written as JSON
   */
  public static byte[] insert(Order order) throws IOException {
    return JSON.writeValueAsBytes(order);
  }

  /**
   * @param order the order as it was when deleted
   * @return the payload of a record deleting it
   * @throws IOException when the order cannot be written as JSON
   */
  public static byte[] delete(Order order) throws IOException {
    return JSON.writeValueAsBytes(JSON.createObjectNode().set(DELETED, JSON.valueToTree(order)));
  }

  /**
   * @param payload a record's payload
   * @return the change it holds
   * @throws IOException when the payload is not an order or a deletion of one
   */
  public static OrderLogRecord decode(byte[] payload) throws IOException {
    JsonNode n = JSON.readTree(payload);
    boolean deleted = n != null && n.isObject() && n.has(DELETED);
    JsonNode order = deleted ? n.get(DELETED) : n;
    if (order == null || !order.isObject()) {
      throw new IOException("not an order or the deletion of one: " + (order == null ? "no JSON" : order.getNodeType()));
    }
    return new OrderLogRecord(JSON.treeToValue(order, Order.class), deleted);
  }
}
