package dev.drkit.examples.orders;

import java.time.Instant;
import java.util.Objects;

/**
 * One order as stored by an {@link OrderSite}.
 *
 * @param id the client-chosen identifier (idempotency key), 1-64 of {@code [A-Za-z0-9._-]}
 * @param customer who ordered, non-blank
 * @param amountCents the amount in cents, {@code >= 0}
 * @param createdAt when the accepting site committed it
 * @param epoch the fencing epoch the accepting site wrote it under
 * @param site the name of the site that accepted it ({@code primary}, {@code backup}, ...)
 */
public record Order(String id, String customer, long amountCents, Instant createdAt, long epoch, String site) {
  /** The longest order id. */
  private static final int MAX_ID = 64;

  /** Validates. */
  public Order {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(customer, "customer");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(site, "site");
    if (!validId(id)) {
      throw new IllegalArgumentException("order id '" + id + "' must be 1-64 of [A-Za-z0-9._-]");
    }
    if (customer.isBlank()) {
      throw new IllegalArgumentException("order " + id + ": customer must not be blank");
    }
    if (amountCents < 0) {
      throw new IllegalArgumentException("order " + id + ": amountCents must be >= 0 but was " + amountCents);
    }
  }

  /**
   * @param id a candidate id
   * @return whether it is a valid order id
   */
  public static boolean validId(String id) {
    // a loop rather than a regular expression: a rebuild checks hundreds of thousands a second
    if (id == null || id.isEmpty() || id.length() > MAX_ID) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
          || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
