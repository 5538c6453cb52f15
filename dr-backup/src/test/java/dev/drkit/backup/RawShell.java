package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Test fixture: runs {@code sh} scripts in a directory and passes raw bytes through {@code printf}
 * octal escapes, so that files, links and their targets are made and read by the shell and
 * {@code readlink}, independently of the JVM's file-name encoding and of the code under test.
 */
final class RawShell {
  private RawShell() {}

  /** @return {@code b} as a shell word that expands to exactly these bytes (trailing newlines kept) */
  static String word(byte[] b) {
    StringBuilder sb = new StringBuilder("\"$(printf '");
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
    return sb.append("'; printf x)\"").toString();
  }

  /** Runs {@code script} in {@code dir}, asserts exit 0, returns stdout's bytes. */
  static byte[] run(Path dir, String script) throws Exception {
    Process p = new ProcessBuilder("sh", "-c", script).directory(dir.toFile()).start();
    p.getOutputStream().close();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    p.getInputStream().transferTo(out);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("sh %s: %s", script, err).isZero();
    return out.toByteArray();
  }

  /** Makes symlinks {@code names[i] -> targets[i]} in {@code dir} with {@code ln -s}. */
  static void symlinks(Path dir, List<byte[]> names, List<byte[]> targets) throws Exception {
    StringBuilder sb = new StringBuilder("set -e\n");
    for (int i = 0; i < names.size(); i++) {
      sb.append("t=").append(word(targets.get(i))).append("; l=").append(word(names.get(i)))
          .append("; ln -s -- \"${t%x}\" \"${l%x}\"\n");
    }
    run(dir, sb.toString());
  }

  /** @return the targets of the symlinks {@code names} in {@code dir}, read by {@code readlink} */
  static List<byte[]> readlinks(Path dir, List<byte[]> names) throws Exception {
    StringBuilder sb = new StringBuilder("set -e\n");
    for (byte[] n : names) {
      sb.append("l=").append(word(n)).append("; readlink -n -- \"${l%x}\"; printf '\\000'\n");
    }
    byte[] out = run(dir, sb.toString());
    List<byte[]> targets = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < out.length; i++) {
      if (out[i] == 0) {
        byte[] t = new byte[i - start];
        System.arraycopy(out, start, t, 0, t.length);
        targets.add(t);
        start = i + 1;
      }
    }
    return targets;
  }
}
