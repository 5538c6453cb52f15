package dev.drkit.backup.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One exclude pattern, restic-like, matched against an absolute path's bytes. Components are
 * separated by {@code /}; {@code *} matches any run of characters within a component, {@code ?} one
 * character, {@code [abc]}, {@code [a-z]} and {@code [!a-z]} (or {@code [^a-z]}) one character of a
 * set, {@code \} escapes the next character, and a component {@code **} matches any number of
 * components (also none). A pattern that starts with {@code /} is anchored at the root; any other
 * pattern may match at any depth ({@code foo/bar} matches {@code /x/foo/bar}). A pattern that
 * matches a directory also matches everything below it. Characters are Unicode code points where
 * the name is valid UTF-8; each other byte is a character of its own.
 */
public final class Glob {
  private static final int[][] NONE = new int[0][];
  private final String text;
  private final int[][] comps;

  /**
   * @param pattern the glob, {@code *} and {@code ?} within one path segment and {@code **} across segments
   * @throws IllegalArgumentException when empty or a {@code [} is not closed
   */
  public Glob(String pattern) {
    this.text = pattern;
    String p = pattern;
    while (p.length() > 1 && p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    if (p.isEmpty() || p.equals("/")) {
      throw new IllegalArgumentException("exclude pattern '" + pattern + "' is empty");
    }
    boolean anchored = p.startsWith("/");
    List<int[]> list = new ArrayList<>();
    if (!anchored) {
      list.add("**".codePoints().toArray());
    }
    for (String c : (anchored ? p.substring(1) : p).split("/", -1)) {
      if (c.isEmpty()) {
        continue;
      }
      int[] cps = c.codePoints().toArray();
      checkClasses(cps);
      list.add(cps);
    }
    this.comps = list.toArray(NONE);
  }

  private void checkClasses(int[] p) {
    for (int i = 0; i < p.length; i++) {
      if (p[i] == '\\') {
        i++;
      } else if (p[i] == '[' && classEnd(p, i) < 0) {
        throw new IllegalArgumentException("exclude pattern '" + text + "' has a '[' without its ']'");
      }
    }
  }

  /** @return the pattern as given */
  public String text() {
    return text;
  }

  /**
   * @param absolutePath an absolute path's bytes ({@code /a/b})
   * @return whether the pattern matches the path or one of its parent directories
   */
  public boolean matches(byte[] absolutePath) {
    List<int[]> names = new ArrayList<>();
    int start = 0;
    for (int i = 0; i <= absolutePath.length; i++) {
      if (i == absolutePath.length || absolutePath[i] == '/') {
        if (i > start) {
          names.add(codePoints(absolutePath, start, i));
        }
        start = i + 1;
      }
    }
    return match(0, names, 0);
  }

  private boolean match(int pi, List<int[]> names, int ni) {
    if (pi == comps.length) {
      return ni > 0; // the pattern matched this path or one of its parents
    }
    int[] c = comps[pi];
    if (c.length == 2 && c[0] == '*' && c[1] == '*') {
      for (int k = ni; k <= names.size(); k++) {
        if (match(pi + 1, names, k)) {
          return true;
        }
      }
      return false;
    }
    return ni < names.size() && component(c, 0, names.get(ni), 0) && match(pi + 1, names, ni + 1);
  }

  private static boolean component(int[] p, int pi, int[] s, int si) {
    while (pi < p.length) {
      int c = p[pi];
      if (c == '*') {
        for (int k = si; k <= s.length; k++) {
          if (component(p, pi + 1, s, k)) {
            return true;
          }
        }
        return false;
      }
      if (si >= s.length) {
        return false;
      }
      if (c == '?') {
        pi++;
      } else if (c == '[') {
        int end = classEnd(p, pi);
        if (!inClass(p, pi + 1, end, s[si])) {
          return false;
        }
        pi = end + 1;
      } else {
        if (c == '\\' && pi + 1 < p.length) {
          pi++;
          c = p[pi];
        }
        if (c != s[si]) {
          return false;
        }
        pi++;
      }
      si++;
    }
    return si == s.length;
  }

  /** @return the index of the {@code ]} closing the class at {@code open}, or -1 */
  private static int classEnd(int[] p, int open) {
    int i = open + 1;
    if (i < p.length && (p[i] == '!' || p[i] == '^')) {
      i++;
    }
    if (i < p.length && p[i] == ']') {
      i++; // a leading ']' is a member
    }
    for (; i < p.length; i++) {
      if (p[i] == '\\') {
        i++;
      } else if (p[i] == ']') {
        return i;
      }
    }
    return -1;
  }

  private static boolean inClass(int[] p, int from, int end, int ch) {
    boolean negate = from < end && (p[from] == '!' || p[from] == '^');
    int i = negate ? from + 1 : from;
    boolean found = false;
    boolean first = true;
    while (i < end) {
      int lo = p[i];
      if (lo == '\\' && i + 1 < end) {
        lo = p[++i];
      } else if (lo == ']' && !first) {
        break;
      }
      first = false;
      int hi = lo;
      if (i + 2 < end && p[i + 1] == '-') {
        hi = p[i + 2];
        if (hi == '\\' && i + 3 < end) {
          hi = p[i + 3];
          i++;
        }
        i += 2;
      }
      if (ch >= lo && ch <= hi) {
        found = true;
      }
      i++;
    }
    return found != negate;
  }

  /** Code points of valid UTF-8; each invalid byte becomes {@code 0x110000 + byte}, equal to nothing a pattern holds. */
  private static int[] codePoints(byte[] b, int from, int to) {
    int[] out = new int[to - from];
    int n = 0;
    int i = from;
    while (i < to) {
      int c = b[i] & 0xff;
      int len = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
      if (len > 1 && i + len <= to) {
        String s = new String(b, i, len, StandardCharsets.UTF_8);
        if (s.codePointCount(0, s.length()) == 1 && s.codePointAt(0) != 0xFFFD) {
          out[n++] = s.codePointAt(0);
          i += len;
          continue;
        }
      }
      out[n++] = len == 1 ? c : 0x110000 + c;
      i++;
    }
    return java.util.Arrays.copyOf(out, n);
  }

  @Override
  public String toString() {
    return text;
  }
}
