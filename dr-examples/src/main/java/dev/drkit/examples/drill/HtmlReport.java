package dev.drkit.examples.drill;

import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Renders a {@link DrillReport} as one self-contained HTML page: inline CSS and inline SVG, no
 * scripts, no external resources, so it can be mailed, archived or opened offline. Sections (each
 * an element with a stable id): {@code summary}, {@code objectives}, {@code timeline},
 * {@code traffic}, {@code validation}, {@code phases}, {@code data-loss}, {@code events},
 * {@code notes}.
 */
public final class HtmlReport {
  private static final String CSS = """
      body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;background:#f4f6f8;color:#1d2733}
      header{background:#1d2733;color:#fff;padding:20px 32px}
      header h1{margin:0 0 6px;font-size:24px}
      header p{margin:0;color:#c9d3dd}
      main{padding:8px 32px 32px;max-width:1100px}
      section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);margin:18px 0;padding:16px 20px}
      h2{font-size:18px;margin:0 0 12px}
      table{border-collapse:collapse;width:100%;font-size:13px}
      th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e3e8ee;vertical-align:top}
      th{background:#eef2f6}
      td.num{text-align:right;font-variant-numeric:tabular-nums}
      .badge{display:inline-block;padding:3px 10px;border-radius:12px;font-weight:600;font-size:13px}
      .PASS,.met,.PASSED{background:#d8f3df;color:#13692e}
      .FAIL,.missed,.FAILED,.ERROR,.TIMED_OUT{background:#fde0e0;color:#9b1c1c}
      .INFO,.WARN{background:#e4ecf7;color:#27466e}
      .WARN{background:#fff1d6;color:#7a4b00}
      .verdict{font-size:20px;padding:8px 18px;margin-top:12px}
      .meta{color:#c9d3dd;font-size:13px;margin-top:8px}
      svg{display:block;max-width:100%;height:auto}
      svg text{font-family:system-ui,sans-serif;font-size:12px;fill:#1d2733}
      code{font-size:12px}
      """;
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS 'UTC'")
      .withZone(ZoneOffset.UTC);

  private HtmlReport() {}

  /**
   * @param r the report
   * @return the whole HTML document
   */
  public static String render(DrillReport r) {
    StringBuilder h = new StringBuilder(32_768);
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .append("<title>drkit drill: ").append(esc(r.scenario())).append(" of ").append(esc(r.service()))
        .append("</title><style>").append(CSS).append("</style></head><body>\n");
    header(h, r);
    h.append("<main>\n");
    objectives(h, r);
    timeline(h, r);
    traffic(h, r);
    validation(h, r);
    phases(h, r);
    dataLoss(h, r);
    events(h, r);
    settings(h, r);
    notes(h, r);
    h.append("</main></body></html>\n");
    return h.toString();
  }

  private static void header(StringBuilder h, DrillReport r) {
    h.append("<header id=\"summary\"><h1>drkit drill &mdash; ").append(esc(r.scenario())).append("</h1><p>")
        .append(esc(r.description())).append("</p>")
        .append("<div class=\"badge verdict ").append(r.passed() ? "PASS\">EVERY OBJECTIVE MET" : "FAIL\">OBJECTIVES NOT MET")
        .append("</div><div class=\"meta\">service <b>").append(esc(r.service())).append("</b> &middot; plan <code>")
        .append(esc(r.plan())).append("</code> &middot; ").append(esc(r.replicationMode()))
        .append(" replication &middot; started ").append(TIME.format(r.startedAt())).append(" &middot; ran ")
        .append(r.durationMs()).append(" ms</div></header>\n");
  }

  private static void objectives(StringBuilder h, DrillReport r) {
    h.append("<section id=\"objectives\"><h2>Objectives: measured against the plan</h2>\n");
    // Two bars: RTO measured vs objective, RPO window measured vs objective.
    int w = 1000;
    int rowH = 46;
    int rows = 2;
    h.append(svgOpen(w, rows * rowH + 30, "RPO and RTO measured against the objectives"));
    long rtoMeasured = r.rto() == null ? 0 : r.rto().measuredMs();
    boolean rtoMet = r.objectives().stream().filter(o -> o.name().startsWith("RTO")).allMatch(DrillReport.Objective::met);
    bar(h, 0, rowH, "RTO", rtoMeasured, r.rtoObjectiveMs(), r.rto() == null ? "not measured: the service did not recover"
        : rtoMeasured + " ms", r.rto() != null && rtoMet);
    bar(h, 1, rowH, "RPO window", r.rpo().windowMs(), r.rpoObjectiveMs(),
        r.rpo().lostWrites() + " lost writes, window " + r.rpo().windowMs() + " ms",
        r.rpo().windowMs() <= r.rpoObjectiveMs());
    h.append("</svg>\n<table><tr><th>Objective</th><th>Target</th><th>Measured</th><th>Verdict</th></tr>\n");
    for (DrillReport.Objective o : r.objectives()) {
      h.append("<tr><td>").append(esc(o.name())).append("</td><td>").append(esc(o.target())).append("</td><td>")
          .append(esc(o.measured())).append("</td><td><span class=\"badge ").append(o.met() ? "met\">met" : "missed\">missed")
          .append("</span></td></tr>\n");
    }
    h.append("</table>");
    if (r.rto() != null && !r.rto().breakdown().isEmpty()) {
      h.append("<p>RTO breakdown: ");
      boolean first = true;
      for (Map.Entry<String, Long> e : r.rto().breakdown().entrySet()) {
        h.append(first ? "" : " + ").append(esc(e.getKey())).append(" <b>").append(e.getValue()).append(" ms</b>");
        first = false;
      }
      h.append(" = <b>").append(r.rto().measuredMs()).append(" ms</b></p>");
    }
    h.append("</section>\n");
  }

  private static void bar(StringBuilder h, int row, int rowH, String label, long measured, long objective,
      String text, boolean ok) {
    int x0 = 160;
    int x1 = 960;
    double max = Math.max(1, Math.max(measured, objective) * 1.15);
    int y = 10 + row * rowH;
    double mw = (x1 - x0) * measured / max;
    double ox = x0 + (x1 - x0) * objective / max;
    h.append(String.format(Locale.ROOT, "<text x=\"0\" y=\"%d\">%s</text>", y + 20, esc(label)));
    h.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"26\" fill=\"#eef2f6\"/>", x0, y,
        x1 - x0));
    h.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"26\" fill=\"%s\"/>", x0, y,
        Math.max(mw, 1.5), ok ? "#2e9d57" : "#d64545"));
    h.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#1d2733\""
        + " stroke-width=\"2\" stroke-dasharray=\"4 3\"/>", ox, y - 4, ox, y + 30));
    h.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"end\">objective %d ms</text>",
        ox - 4, y + 40, objective));
    h.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\">%s</text>", x0 + Math.max(mw, 1.5) + 6, y + 18,
        esc(text)));
  }

  private static void timeline(StringBuilder h, DrillReport r) {
    h.append("<section id=\"timeline\"><h2>Timeline: phases against the RTO budget</h2>\n");
    List<DrillReport.Phase> ps = r.phases();
    long end = r.durationMs();
    for (DrillReport.Phase p : ps) {
      end = Math.max(end, p.startMs() + Math.max(p.durationMs(), p.budgetMs() == null ? 0 : p.budgetMs()));
    }
    if (r.rto() != null) {
      end = Math.max(end, r.rto().outageAtMs() + r.rtoObjectiveMs());
    }
    end = Math.max(end, 1);
    int x0 = 200;
    int x1 = 950;
    int rowH = 22;
    int top = 34;
    int height = top + ps.size() * rowH + 64;
    h.append(svgOpen(1000, height, "phases on a time axis with the RTO budget"));
    axis(h, x0, x1, top - 8, top + ps.size() * rowH, end);
    for (int i = 0; i < ps.size(); i++) {
      DrillReport.Phase p = ps.get(i);
      int y = top + i * rowH;
      double px = x(x0, x1, p.startMs(), end);
      h.append(String.format(Locale.ROOT, "<text x=\"0\" y=\"%d\">%s</text>", y + 15, esc(clip(p.name(), 28))));
      if (p.budgetMs() != null) {
        h.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"18\" fill=\"none\""
            + " stroke=\"#8aa0b6\" stroke-dasharray=\"3 2\"/>", px, y + 2, x(x0, x1, p.budgetMs(), end) - x0));
      }
      String fill = switch (p.verdict()) {
        case PASS -> "#2e9d57";
        case FAIL -> "#d64545";
        case INFO -> "#5b7fa8";
      };
      h.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"14\" fill=\"%s\">"
          + "<title>%s: %d ms at +%d ms (%s)</title></rect>", px, y + 4,
          Math.max(x(x0, x1, p.durationMs(), end) - x0, 2), fill, esc(p.name()), p.durationMs(), p.startMs(),
          p.verdict()));
    }
    if (r.rto() != null) {
      double dx = x(x0, x1, r.rto().outageAtMs(), end);
      double bx = x(x0, x1, r.rto().outageAtMs() + r.rtoObjectiveMs(), end);
      double rx = x(x0, x1, r.rto().recoveredAtMs(), end);
      int bottom = top + ps.size() * rowH;
      h.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#f2c94c\""
          + " fill-opacity=\"0.18\"/>", dx, top - 8, Math.max(bx - dx, 1), bottom - top + 8));
      vline(h, dx, top - 8, bottom, 16, "#d64545", "outage");
      vline(h, rx, top - 8, bottom, 32, "#2e9d57", "recovered");
      vline(h, bx, top - 8, bottom, 48, "#7a4b00", "RTO budget");
    }
    h.append("</svg><p>Bars: phase durations (green within budget, red failed or over budget, blue without a"
        + " budget); dashed boxes: each phase's budget; shaded band: the RTO budget from the outage.</p></section>\n");
  }

  private static void vline(StringBuilder h, double x, int y0, int y1, int labelOffset, String colour,
      String label) {
    h.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\""
        + " stroke-width=\"2\"/><text x=\"%.1f\" y=\"%d\" fill=\"%s\" text-anchor=\"middle\">%s</text>", x, y0, x, y1,
        colour, x, y1 + labelOffset, colour, esc(label)));
  }

  private static void axis(StringBuilder h, int x0, int x1, int y0, int y1, long end) {
    long step = niceStep(end);
    for (long t = 0; t <= end; t += step) {
      double x = x(x0, x1, t, end);
      h.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e3e8ee\"/>"
          + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#5d6b7a\">%s</text>", x, y0, x, y1, x, y0 - 6,
          t >= 1000 && step >= 1000 ? (t / 1000) + " s" : t + " ms"));
    }
  }

  private static long niceStep(double span) {
    double raw = span / 8;
    double mag = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1))));
    double n = raw / mag;
    double nice = n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10;
    return Math.max(1, (long) (nice * mag));
  }

  private static double x(int x0, int x1, long t, long end) {
    return x0 + (x1 - x0) * (double) t / end;
  }

  private static void traffic(StringBuilder h, DrillReport r) {
    h.append("<section id=\"traffic\"><h2>Write rate and replication lag over time</h2>\n");
    List<DrillReport.Sample> s = r.samples();
    if (s.isEmpty()) {
      h.append("<p>No samples were taken.</p></section>\n");
      return;
    }
    long end = Math.max(1, s.get(s.size() - 1).atMs());
    chart(h, s, end, "writes per second (acknowledged in green, failed in red)", "writes/s",
        new Series("acknowledged", "#2e9d57", DrillReport.Sample::writesPerSecond),
        new Series("failed", "#d64545", DrillReport.Sample::failedPerSecond));
    chart(h, s, end, "replication lag (how far the replica trails the primary)", "lag ms",
        new Series("lag", "#5b7fa8", x -> x.lagMs() == null ? Double.NaN : x.lagMs()));
    if (r.rto() != null) {
      h.append("<p>Outage from +").append(r.rto().outageAtMs()).append(" ms to +").append(r.rto().recoveredAtMs())
          .append(" ms.</p>");
    }
    h.append("</section>\n");
  }

  private record Series(String name, String colour, ToDoubleFunction<DrillReport.Sample> value) {}

  private static void chart(StringBuilder h, List<DrillReport.Sample> samples, long end, String title, String unit,
      Series... series) {
    int x0 = 70;
    int x1 = 950;
    int y0 = 20;
    int y1 = 170;
    double max = 0;
    for (Series se : series) {
      for (DrillReport.Sample s : samples) {
        double v = se.value().applyAsDouble(s);
        if (!Double.isNaN(v)) {
          max = Math.max(max, v);
        }
      }
    }
    double top = max <= 0 ? 1 : niceStep(max * 8 / 4.0) * 4.0;
    while (top < max) {
      top *= 1.5;
    }
    h.append(svgOpen(1000, 210, title));
    h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"12\" fill=\"#5d6b7a\">%s</text>", x0, esc(title)));
    for (int i = 0; i <= 4; i++) {
      double yv = top * i / 4;
      double y = y1 - (y1 - y0) * i / 4.0;
      h.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e3e8ee\"/>"
          + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#5d6b7a\">%s</text>", x0, y, x1, y, x0 - 6, y + 4,
          fmt(yv)));
    }
    long step = niceStep(end);
    for (long t = 0; t <= end; t += step) {
      double x = x(x0, x1, t, end);
      h.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#5d6b7a\">%s</text>",
          x, y1 + 18, t >= 1000 && step >= 1000 ? (t / 1000) + " s" : t + " ms"));
    }
    h.append(String.format(Locale.ROOT, "<text x=\"12\" y=\"%d\" fill=\"#5d6b7a\" transform=\"rotate(-90 12 %d)\""
        + " text-anchor=\"middle\">%s</text>", (y0 + y1) / 2, (y0 + y1) / 2, esc(unit)));
    for (Series se : series) {
      StringBuilder pts = new StringBuilder();
      for (DrillReport.Sample s : samples) {
        double v = se.value().applyAsDouble(s);
        if (Double.isNaN(v)) {
          if (pts.length() > 0) {
            polyline(h, pts, se.colour());
            pts.setLength(0);
          }
          continue;
        }
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x(x0, x1, s.atMs(), end), y1 - (y1 - y0) * v / top));
      }
      if (pts.length() > 0) {
        polyline(h, pts, se.colour());
      }
    }
    h.append("</svg>\n");
  }

  private static void polyline(StringBuilder h, StringBuilder pts, String colour) {
    h.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"2\" points=\"")
        .append(pts.toString().trim()).append("\"/>");
  }

  private static String fmt(double v) {
    return v >= 100 || v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
  }

  private static void validation(StringBuilder h, DrillReport r) {
    h.append("<section id=\"validation\"><h2>Validation results</h2>\n");
    if (r.validations().isEmpty()) {
      h.append("<p>No validation ran.</p>");
    }
    for (DrillReport.ValidationRun v : r.validations()) {
      h.append("<h3>").append(esc(v.label())).append(": site ").append(esc(v.site())).append(" at epoch ")
          .append(v.epoch()).append(" <span class=\"badge ").append(v.passed() ? "PASS\">passed" : "FAIL\">failed")
          .append("</span> <small>+").append(v.startMs()).append(" ms, took ").append(v.durationMs())
          .append(" ms</small></h3>\n<table><tr><th>Step</th><th>Check</th><th>Status</th><th>Duration</th>"
              + "<th>Detail</th></tr>\n");
      for (DrillReport.Step st : v.steps()) {
        for (DrillReport.Check c : st.checks()) {
          h.append("<tr><td>").append(esc(st.name())).append("</td><td>").append(esc(c.name()))
              .append("</td><td><span class=\"badge ").append(esc(c.status())).append("\">").append(esc(c.status()))
              .append("</span></td><td class=\"num\">").append(c.durationMs()).append(" ms</td><td>")
              .append(esc(c.detail())).append("</td></tr>\n");
        }
      }
      h.append("</table>\n");
    }
    h.append("</section>\n");
  }

  private static void phases(StringBuilder h, DrillReport r) {
    h.append("<section id=\"phases\"><h2>Phases</h2><table><tr><th>Phase</th><th>Start</th><th>Duration</th>"
        + "<th>Budget</th><th>Verdict</th><th>Detail</th></tr>\n");
    for (DrillReport.Phase p : r.phases()) {
      h.append("<tr><td>").append(esc(p.name())).append("</td><td class=\"num\">+").append(p.startMs())
          .append(" ms</td><td class=\"num\">").append(p.durationMs()).append(" ms</td><td class=\"num\">")
          .append(p.budgetMs() == null ? "&ndash;" : p.budgetMs() + " ms").append("</td><td><span class=\"badge ")
          .append(p.verdict()).append("\">").append(p.verdict()).append("</span></td><td>").append(esc(p.detail()))
          .append("</td></tr>\n");
    }
    h.append("</table></section>\n");
  }

  private static void dataLoss(StringBuilder h, DrillReport r) {
    DrillReport.Rpo rpo = r.rpo();
    h.append("<section id=\"data-loss\"><h2>Data loss (RPO) against the clients' ledger</h2><p>")
        .append(rpo.acknowledgedWrites()).append(" writes were acknowledged to clients; <b>").append(rpo.lostWrites())
        .append("</b> of them are missing from the site that took over");
    if (rpo.lostFromMs() != null) {
      h.append(", acknowledged between +").append(rpo.lostFromMs()).append(" ms and +").append(rpo.lostToMs())
          .append(" ms (a window of ").append(rpo.windowMs()).append(" ms)");
    }
    h.append(".</p>");
    if (!rpo.lostIds().isEmpty()) {
      h.append("<p>Lost: <code>").append(esc(String.join(", ", rpo.lostIds()))).append("</code></p>");
    }
    h.append("<p>").append(r.quarantined().size()).append(" divergent writes were quarantined during resync");
    if (!r.quarantined().isEmpty()) {
      h.append(": <code>").append(esc(String.join(", ", r.quarantined()))).append("</code>");
    }
    h.append(".</p></section>\n");
  }

  private static void events(StringBuilder h, DrillReport r) {
    h.append("<section id=\"events\"><h2>Event log</h2><table><tr><th>Time</th><th>Type</th><th>Severity</th>"
        + "<th>Epoch</th><th>Message</th></tr>\n");
    for (DrillReport.Event e : r.events()) {
      h.append("<tr><td class=\"num\">+").append(e.atMs()).append(" ms</td><td><code>").append(esc(e.type()))
          .append("</code></td><td><span class=\"badge ").append(esc(e.severity())).append("\">")
          .append(esc(e.severity())).append("</span></td><td class=\"num\">").append(e.epoch()).append("</td><td>")
          .append(esc(e.message()));
      if (!e.attributes().isEmpty()) {
        h.append(" <small>");
        e.attributes().forEach((k, v) -> h.append(esc(k)).append('=').append(esc(v)).append(' '));
        h.append("</small>");
      }
      h.append("</td></tr>\n");
    }
    h.append("</table></section>\n");
  }

  private static void settings(StringBuilder h, DrillReport r) {
    h.append("<section id=\"settings\"><h2>Settings</h2><table><tr><th>Setting</th><th>Value</th></tr>\n");
    for (Map.Entry<String, String> e : r.settings().entrySet()) {
      h.append("<tr><td>").append(esc(e.getKey())).append("</td><td>").append(esc(e.getValue())).append("</td></tr>\n");
    }
    h.append("</table></section>\n");
  }

  private static void notes(StringBuilder h, DrillReport r) {
    h.append("<section id=\"notes\"><h2>Notes</h2>");
    if (r.notes().isEmpty()) {
      h.append("<p>None.</p>");
    } else {
      h.append("<ul>");
      for (String n : r.notes()) {
        h.append("<li>").append(esc(n)).append("</li>");
      }
      h.append("</ul>");
    }
    h.append("</section>\n");
  }

  private static String svgOpen(int w, int h, String label) {
    return String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\""
        + " height=\"%d\" role=\"img\" aria-label=\"%s\">", w, h, w, h, esc(label));
  }

  private static String clip(String s, int n) {
    return s.length() <= n ? s : s.substring(0, n - 1) + "\u2026";
  }

  /**
   * @param s text
   * @return the text with HTML's special characters escaped
   */
  static String esc(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
