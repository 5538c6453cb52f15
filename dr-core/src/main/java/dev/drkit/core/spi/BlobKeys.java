package dev.drkit.core.spi;

import java.util.regex.Pattern;

/** Validation of {@link BlobStore} keys, shared by every implementation. */
public final class BlobKeys {
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]{1,255}");

  private BlobKeys() {}

  /**
   * @param key a candidate key
   * @return the key
   * @throws IllegalArgumentException naming the key and the rule it breaks
   */
  public static String validate(String key) {
    if (key == null || key.isEmpty()) {
      throw new IllegalArgumentException("blob key must not be empty");
    }
    if (key.length() > 1024) {
      throw new IllegalArgumentException("blob key longer than 1024 characters");
    }
    for (String segment : key.split("/", -1)) {
      if (!SEGMENT.matcher(segment).matches() || segment.equals(".") || segment.equals("..")) {
        throw new IllegalArgumentException("invalid blob key '" + key + "': segment '" + segment
            + "' must be 1-255 of [A-Za-z0-9._-] and not '.' or '..'");
      }
    }
    return key;
  }

  /**
   * @param prefix a candidate list prefix: empty, or a key optionally ending in {@code /}, or a
   *     key's leading part
   * @return the prefix
   * @throws IllegalArgumentException when it could never match a valid key
   */
  public static String validatePrefix(String prefix) {
    if (prefix == null) {
      throw new IllegalArgumentException("prefix must not be null");
    }
    if (prefix.isEmpty()) {
      return prefix;
    }
    String body = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    if (body.isEmpty() || body.startsWith("/") || body.contains("//") || body.contains("..")) {
      throw new IllegalArgumentException("invalid blob key prefix '" + prefix + "'");
    }
    return prefix;
  }
}
