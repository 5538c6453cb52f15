package dev.drkit.zookeeper;

import dev.drkit.core.config.Names;
import java.util.Objects;
import java.util.regex.Pattern;

/** Validation of the znode paths and names this module builds. */
final class ZkNames {
  private static final Pattern BASE = Pattern.compile("(/[A-Za-z0-9][A-Za-z0-9._-]{0,127})+");

  private ZkNames() {}

  static String basePath(String path) {
    Objects.requireNonNull(path, "basePath");
    if (!BASE.matcher(path).matches()) {
      throw new IllegalArgumentException("basePath '" + path
          + "' must be an absolute znode path of drkit names without a trailing slash, e.g. /drkit");
    }
    return path;
  }

  static String name(String field, String value) {
    Objects.requireNonNull(value, field);
    if (!Names.isValid(value)) {
      throw new IllegalArgumentException(field + " '" + value
          + "' must be 1-128 of [A-Za-z0-9._-] starting with a letter or digit");
    }
    return value;
  }
}
