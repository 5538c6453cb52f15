package dev.drkit.core.internal;

import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The one way drkit puts text it does not control (a service name a network peer sent, an event's
 * message or attributes that quote it) into a log line: nothing in it can end the line, forge the
 * next one or reach the terminal of whoever reads the log. Line terminators, other control
 * characters, format characters (bidirectional overrides, zero-width characters), line and
 * paragraph separators, unassigned, private-use and lone surrogate code points are written as
 * escapes: {@code \n}, {@code \r}, {@code \t}, or a backslash, {@code u} and the code point in
 * hexadecimal (at least four digits).
 */
public final class LogText {
  private LogText() {}

  /**
   * For text entirely under a peer's control: escapes as the class says, doubles every backslash
   * (so that a peer cannot write what reads as an escape) and cuts the result.
   *
   * @param text the text
   * @param max where to cut: once the result holds {@code max} characters, the rest of the text is
   *     left out and noted as {@code ...(N more chars)}; {@code Integer.MAX_VALUE} for no cut
   * @return the text fit for one log line
   * @throws IllegalArgumentException if {@code max} is negative
   */
  public static String printable(String text, int max) {
    return escape(text, max, true);
  }

  /**
   * For drkit's own text that may quote a peer's (an event's message or attributes): escapes as the
   * class says and keeps backslashes as they are (a path reads as written), never cuts.
   *
   * @param text the text
   * @return the text as one line
   */
  public static String oneLine(String text) {
    return escape(text, Integer.MAX_VALUE, false);
  }

  private static String escape(String text, int max, boolean backslashes) {
    Objects.requireNonNull(text, "text");
    if (max < 0) {
      throw new IllegalArgumentException("max must be >= 0, was " + max);
    }
    @Nullable StringBuilder b = null;
    int i = 0;
    while (i < text.length()) {
      int cp = text.codePointAt(i);
      int width = Character.charCount(cp);
      String esc = escapeOf(cp, backslashes);
      int at = b == null ? i : b.length();
      if (at >= max) {
        if (b == null) {
          b = new StringBuilder(text.substring(0, i));
        }
        b.append("...(").append(text.length() - i).append(" more chars)");
        return b.toString();
      }
      if (esc != null && b == null) {
        b = new StringBuilder(text.length() + 16).append(text, 0, i);
      }
      if (b != null) {
        if (esc != null) {
          b.append(esc);
        } else {
          b.appendCodePoint(cp);
        }
      }
      i += width;
    }
    return b == null ? text : b.toString();
  }

  private static @Nullable String escapeOf(int cp, boolean backslashes) {
    switch (cp) {
      case '\\':
        return backslashes ? "\\\\" : null;
      case '\n':
        return "\\n";
      case '\r':
        return "\\r";
      case '\t':
        return "\\t";
      default:
        int type = Character.getType(cp);
        if (Character.isISOControl(cp) || type == Character.FORMAT || type == Character.LINE_SEPARATOR
            || type == Character.PARAGRAPH_SEPARATOR || type == Character.SURROGATE || type == Character.UNASSIGNED
            || type == Character.PRIVATE_USE) {
          String hex = Integer.toHexString(cp).toUpperCase(Locale.ROOT);
          return "\\u" + "0".repeat(Math.max(0, 4 - hex.length())) + hex;
        }
        return null;
    }
  }
}
