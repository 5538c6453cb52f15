package dev.drkit.backup.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * File names and symbolic-link targets as the raw bytes the kernel holds, independent of the JVM's
 * file-name encoding ({@code sun.jnu.encoding}, taken from the locale at start-up).
 *
 * <p>{@link Path#toString()} decodes a name with that encoding (lossy for bytes it cannot decode)
 * and {@link Path#of(String, String...)} encodes with it (failing for characters it cannot encode),
 * but a {@code file:} URI carries every byte percent-escaped, both ways. So bytes are read through
 * {@link Path#toUri()} and paths are built from a URI; a relative path is cut from an absolute one
 * with {@link Path#subpath}, which copies the component bytes as they are. ({@link Path#relativize}
 * is not used: it normalizes {@code ..} away, which turned {@code ../données/x} into
 * {@code données/x}.)
 *
 * <p>What NIO cannot build is a path with an empty component ({@code a//b}) or a trailing slash
 * ({@code dir/}): its path parser drops both. A symbolic link to such a target is created by
 * {@code ln -s} in a child process ({@link #symlinkWithLn}), with every byte passed as an octal
 * escape, so that the link's bytes are still exactly the stored ones.
 */
public final class RawPaths {
  private RawPaths() {}

  /**
   * @param p a path (relative or absolute), for example one {@link java.nio.file.Files#readSymbolicLink}
   *     returned
   * @return its exact bytes, never resolved against the working directory
   */
  public static byte[] bytes(Path p) {
    boolean relative = !p.isAbsolute();
    Path abs = relative ? p.getFileSystem().getPath("/").resolve(p) : p;
    // toUri() appends a '/' when the path names an existing directory: drop it again
    String raw = abs.toUri().getRawPath();
    if (raw.endsWith("/") && raw.length() > 1 && !p.toString().endsWith("/")) {
      raw = raw.substring(0, raw.length() - 1);
    }
    if (relative) {
      raw = raw.substring(1);
    }
    return unescape(raw);
  }

  /**
   * @param b bytes (relative or absolute)
   * @return whether {@link #path} can build a path with exactly these bytes: not empty, no NUL, no
   *     empty component (two slashes) and no trailing slash (except {@code /} itself)
   */
  public static boolean representable(byte[] b) {
    if (b.length == 0) {
      return false;
    }
    for (int i = 0; i < b.length; i++) {
      if (b[i] == 0) {
        return false;
      }
      if (b[i] == '/' && i > 0 && (b[i - 1] == '/' || i == b.length - 1)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The JVM's file-name encoding ({@code sun.jnu.encoding}) when it is one whose decoding
   * {@link #fileNameBytes} can undo exactly, else null.
   */
  private static final @Nullable Charset JNU = jnu();

  private static @Nullable Charset jnu() {
    try {
      Charset c = Charset.forName(System.getProperty("sun.jnu.encoding", ""));
      return c.equals(StandardCharsets.UTF_8) || c.equals(StandardCharsets.US_ASCII)
          || c.equals(StandardCharsets.ISO_8859_1) ? c : null;
    } catch (IllegalArgumentException e) {
      return null; // unset or unknown: always through the URI
    }
  }

  /**
   * The raw bytes of a path's last name without touching the file system, when its string form
   * allows it: the JVM decoded the name with {@code sun.jnu.encoding}, and for UTF-8 and ASCII a name
   * without a replacement character ({@code U+FFFD}) decoded without loss, so encoding it again gives
   * its bytes back (ISO-8859-1 maps every byte to a character and back). ({@link Path#toUri()} gives
   * every name's bytes, but it {@code stat}s the path to tell whether it is a directory.)
   *
   * @param p a path of the default file system with at least one name
   * @return the last name's bytes, or null when they cannot be told from its string (a name that is
   *     not valid in the JVM's file-name encoding, or one with a real {@code U+FFFD}, an encoding
   *     other than UTF-8, ASCII and ISO-8859-1, or a path of another file system): then use the URI
   */
  public static byte @Nullable [] fileNameBytes(Path p) {
    Charset c = JNU;
    Path name = p.getFileName();
    if (c == null || name == null || p.getFileSystem() != FileSystems.getDefault()) {
      return null; // another file system's names are not decoded with sun.jnu.encoding
    }
    String s = name.toString();
    if (!c.equals(StandardCharsets.ISO_8859_1) && s.indexOf('\uFFFD') >= 0) {
      return null;
    }
    return s.getBytes(c);
  }

  /**
   * @param b bytes that are {@link #representable}
   * @return a path whose bytes are exactly {@code b}, relative when {@code b} does not start with
   *     {@code /}; never normalized
   * @throws IllegalArgumentException when {@code b} is not representable
   */
  public static Path path(byte[] b) {
    if (!representable(b)) {
      throw new IllegalArgumentException("'" + display(b) + "' has an empty component, a trailing slash or a NUL");
    }
    Path abs;
    try {
      abs = Path.of(new URI("file://" + (b[0] == '/' ? "" : "/") + percent(b)));
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + display(b) + "' cannot be carried in a file URI: " + e, e);
    }
    return b[0] == '/' ? abs : abs.subpath(0, abs.getNameCount());
  }

  /**
   * Creates the symbolic link {@code link} with exactly {@code target} as its target through
   * {@code sh} and {@code ln -s}, for targets {@link #path} cannot build. Every byte goes through
   * the command line as an octal escape of {@code printf}, so no locale or encoding touches it.
   *
   * @param link where the link goes (must not exist)
   * @param target the target bytes (no NUL)
   * @throws IOException when the child fails, or is interrupted
   */
  public static void symlinkWithLn(Path link, byte[] target) throws IOException {
    String script = "t=$(printf \"$1\"; printf x); t=${t%x}; l=$(printf \"$2\"; printf x); l=${l%x};"
        + " exec ln -s -- \"$t\" \"$l\"";
    List<String> cmd = new ArrayList<>(List.of("sh", "-c", script, "sh", octal(target), octal(bytes(link))));
    Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    proc.getOutputStream().close();
    String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    try {
      if (!proc.waitFor(60, TimeUnit.SECONDS)) {
        proc.destroyForcibly();
        throw new IOException("ln -s did not finish within 60 s");
      }
    } catch (InterruptedException e) {
      proc.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while ln -s ran", e);
    }
    if (proc.exitValue() != 0) {
      throw new IOException("ln -s failed (exit " + proc.exitValue() + "): " + out);
    }
  }

  /**
   * @param b bytes
   * @return them decoded as UTF-8 where valid, every other byte shown as {@code \xNN}; for messages
   */
  public static String display(byte[] b) {
    StringBuilder sb = new StringBuilder(b.length);
    java.nio.charset.CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder();
    int i = 0;
    while (i < b.length) {
      int c = b[i] & 0xff;
      int len = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
      if (len == 1 && c >= 0x20 && c != 0x7f && c != '\\') {
        sb.append((char) c);
        i++;
        continue;
      }
      if (len > 1 && i + len <= b.length) {
        try {
          sb.append(dec.decode(java.nio.ByteBuffer.wrap(b, i, len)));
          i += len;
          continue;
        } catch (java.nio.charset.CharacterCodingException e) {
          // shown escaped below
        }
      }
      sb.append(String.format("\\x%02x", c));
      i++;
    }
    return sb.toString();
  }

  private static String octal(byte[] b) {
    StringBuilder sb = new StringBuilder(b.length * 4);
    for (byte x : b) {
      int c = x & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '.'
          || c == '_') {
        sb.append((char) c);
      } else {
        sb.append('\\').append((char) ('0' + (c >> 6))).append((char) ('0' + ((c >> 3) & 7)))
            .append((char) ('0' + (c & 7)));
      }
    }
    return sb.toString();
  }

  /**
   * @param b bytes
   * @return them percent-escaped for the path of a {@code file:} URI (unreserved bytes and {@code /} as is)
   */
  public static String percent(byte[] b) {
    StringBuilder sb = new StringBuilder(b.length * 3);
    for (byte x : b) {
      int c = x & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '-'
          || c == '.' || c == '_' || c == '~') {
        sb.append((char) c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
      }
    }
    return sb.toString();
  }

  /**
   * @param raw a raw URI path (percent escapes, other characters as UTF-8)
   * @return its bytes
   */
  public static byte[] unescape(String raw) {
    return unescape(raw, 0, raw.length());
  }

  /**
   * @param raw a raw URI path
   * @param start first character
   * @param end after the last character
   * @return the bytes of {@code raw[start, end)}
   */
  public static byte[] unescape(String raw, int start, int end) {
    // a name of ASCII characters and escapes (what a file URI holds): no stream, no string per character
    byte[] fast = new byte[end - start];
    int n = 0;
    for (int i = start; i < end; i++) {
      char c = raw.charAt(i);
      if (c == '%' && i + 2 < end) {
        int hi = Character.digit(raw.charAt(i + 1), 16);
        int lo = Character.digit(raw.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          return unescapeSlowly(raw, start, end); // its message for a malformed escape
        }
        fast[n++] = (byte) (hi << 4 | lo);
        i += 2;
      } else if (c < 0x80) {
        fast[n++] = (byte) c;
      } else {
        return unescapeSlowly(raw, start, end);
      }
    }
    return n == fast.length ? fast : Arrays.copyOf(fast, n);
  }

  private static byte[] unescapeSlowly(String raw, int start, int end) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(end - start);
    for (int i = start; i < end; i++) {
      char c = raw.charAt(i);
      if (c == '%' && i + 2 < end) {
        out.write(Integer.parseInt(raw.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        byte[] bs = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        out.write(bs, 0, bs.length);
      }
    }
    return out.toByteArray();
  }
}
