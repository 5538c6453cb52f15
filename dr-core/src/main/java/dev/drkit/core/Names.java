package dev.drkit.core;

import java.util.regex.Pattern;

/** Rules for names of services, steps and strategies. */
public final class Names {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private Names() {}

  /**
   * @param name a candidate name
   * @return whether it is letters, digits, {@code . _ -}, starts with a letter or digit, and is at
   *     most 128 characters
   */
  public static boolean isValid(String name) {
    return name != null && NAME.matcher(name).matches();
  }
}
