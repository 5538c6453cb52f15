package dev.drkit.examples.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Renders report.html in headless Chromium; skipped where no Chromium is installed. */
@Tag("integration")
class HtmlReportScreenshotTest {
  @TempDir Path tmp;

  static Path chromium() {
    for (String candidate : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
      Path p = Path.of(candidate);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  @Test
  void reportRendersInAHeadlessBrowserAsANonBlankPage() throws Exception {
    Path browser = chromium();
    assumeTrue(browser != null, "no chromium installed");
    Path html = ReportWriter.write(SampleReports.siteLoss(true), tmp.resolve("report"));
    Path png = tmp.resolve("shot.png");
    Path profile = Files.createDirectory(tmp.resolve("profile"));
    Process p = new ProcessBuilder(browser.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--user-data-dir=" + profile, "--screenshot=" + png, "--window-size=1200,1600",
        html.toUri().toString())
        .redirectErrorStream(true).redirectOutput(tmp.resolve("chromium.log").toFile()).start();
    boolean exited = p.waitFor(90, TimeUnit.SECONDS);
    if (!exited) {
      p.destroyForcibly();
    }
    assertThat(exited).as("chromium finished within 90 s").isTrue();
    assertThat(png).as("screenshot written; chromium log: %s", Files.readString(tmp.resolve("chromium.log")))
        .exists();
    BufferedImage img = ImageIO.read(png.toFile());
    assertThat(img.getWidth()).isEqualTo(1200);
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < img.getHeight(); y += 2) {
      for (int x = 0; x < img.getWidth(); x += 2) {
        colours.add(img.getRGB(x, y));
      }
    }
    assertThat(colours.size()).as("distinct colours in the screenshot").isGreaterThan(50);
    // The page's dark header, green PASS bars and red failure series must all be visible.
    assertThat(colours).contains(0xFF1D2733);
  }
}
