package dev.drkit.examples.cli.backup;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;

/**
 * Draws one progress line on a terminal ({@code \r}-rewritten), for example
 * {@code [#########.........]  48.2%  1234 files  512.0 MiB / 1.0 GiB  85.3 MiB/s  ETA 0:06}.
 * Does nothing when not on a terminal, so that piped output stays clean.
 */
final class ProgressBar {
  private static final int WIDTH = 24;
  private final PrintWriter out;
  private final boolean enabled;
  private int lastLength;

  ProgressBar(PrintWriter out, boolean enabled) {
    this.out = out;
    this.enabled = enabled;
  }

  /**
   * @param operation what runs
   * @param fraction done in [0, 1], or negative when unknown
   * @param files files done
   * @param bytesDone bytes done
   * @param bytesTotal bytes in all, negative when unknown
   * @param bytesPerSecond throughput
   * @param eta time left, or null when unknown
   * @param done whether this is the final report
   */
  synchronized void update(String operation, double fraction, long files, long bytesDone, long bytesTotal,
      double bytesPerSecond, Duration eta, boolean done) {
    if (!enabled) {
      return;
    }
    String line = render(operation, fraction, files, bytesDone, bytesTotal, bytesPerSecond, eta);
    StringBuilder sb = new StringBuilder("\r").append(line);
    for (int i = line.length(); i < lastLength; i++) {
      sb.append(' ');
    }
    lastLength = line.length();
    out.print(sb);
    if (done) {
      out.println();
      lastLength = 0;
    }
    out.flush();
  }

  static String render(String operation, double fraction, long files, long bytesDone, long bytesTotal,
      double bytesPerSecond, Duration eta) {
    StringBuilder sb = new StringBuilder(operation).append(" [");
    int filled = fraction < 0 ? 0 : (int) Math.round(Math.min(1.0, fraction) * WIDTH);
    for (int i = 0; i < WIDTH; i++) {
      sb.append(i < filled ? '#' : '.');
    }
    sb.append("] ");
    sb.append(fraction < 0 ? "   ?  " : String.format(Locale.ROOT, "%5.1f%%", fraction * 100));
    sb.append("  ").append(files).append(files == 1 ? " file  " : " files  ").append(bytes(bytesDone));
    if (bytesTotal >= 0) {
      sb.append(" / ").append(bytes(bytesTotal));
    }
    sb.append("  ").append(bytes((long) bytesPerSecond)).append("/s");
    if (eta != null) {
      long s = eta.toSeconds();
      sb.append(String.format(Locale.ROOT, "  ETA %d:%02d", s / 60, s % 60));
    }
    return sb.toString();
  }

  /** @return {@code n} bytes in B, KiB, MiB, GiB or TiB */
  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
