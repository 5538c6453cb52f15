package dev.drkit.examples.drill;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {
  @TempDir Path tmp;

  @Test
  void htmlHasEveryRequiredSectionAndNoExternalResources() throws Exception {
    Path html = ReportWriter.write(SampleReports.siteLoss(true), tmp.resolve("out"));
    String page = Files.readString(html);
    for (String id : new String[] {"summary", "objectives", "timeline", "traffic", "validation", "phases",
        "data-loss", "events", "notes"}) {
      assertThat(page).as("section " + id).contains("id=\"" + id + "\"");
    }
    assertThat(page).startsWith("<!DOCTYPE html>").contains("<style>").contains("<svg").contains("</html>");
    assertThat(page).doesNotContain("<script").doesNotContain("src=").doesNotContain("href=")
        .doesNotContain("<link");
    assertThat(page).contains("EVERY OBJECTIVE MET").contains("RTO budget").contains("<polyline");
    assertThat(page).contains("&lt;abruptly&gt; &amp;").doesNotContain("<abruptly>").doesNotContain("<markup>");
    assertThat(page).contains("detection <b>610 ms</b>").contains("= <b>820 ms</b>");
    assertThat(page).contains("drill.site.killed").contains("200 from backup").contains("o-17");
  }

  @Test
  void failedObjectiveIsShownAsMissed() throws Exception {
    DrillReport r = SampleReports.siteLoss(false);
    assertThat(r.passed()).isFalse();
    String page = Files.readString(ReportWriter.write(r, tmp));
    assertThat(page).contains("OBJECTIVES NOT MET").contains("class=\"badge missed\"");
    assertThat(ReportWriter.summary(r)).contains("RESULT: objectives NOT met").contains("NO");
  }

  @Test
  void jsonCarriesTheMeasurements() throws Exception {
    ReportWriter.write(SampleReports.siteLoss(true), tmp);
    JsonNode json = ReportWriter.json().readTree(tmp.resolve("report.json").toFile());
    assertThat(json.path("scenario").asText()).isEqualTo("site-loss");
    assertThat(json.path("startedAt").asText()).isEqualTo("2026-11-24T00:30:00Z");
    assertThat(json.path("rto").path("measuredMs").asLong()).isEqualTo(820);
    assertThat(json.path("rto").path("breakdown").path("detection").asLong()).isEqualTo(610);
    assertThat(json.path("rpo").path("lostWrites").asLong()).isZero();
    assertThat(json.path("phases")).hasSize(4);
    assertThat(json.path("samples")).hasSize(41);
    assertThat(json.path("validations").get(0).path("steps").get(0).path("checks").get(0).path("status").asText())
        .isEqualTo("PASSED");
    assertThat(json.path("events").get(0).path("type").asText()).isEqualTo("drill.site.killed");
    DrillReport back = ReportWriter.json().readValue(tmp.resolve("report.json").toFile(), DrillReport.class);
    assertThat(back).isEqualTo(SampleReports.siteLoss(true));
  }

  @Test
  void summaryTableListsEveryPhaseWithBudgetAndVerdict() {
    String s = ReportWriter.summary(SampleReports.siteLoss(true));
    assertThat(s).contains("PHASE").contains("START").contains("DURATION").contains("BUDGET").contains("VERDICT");
    assertThat(s).containsPattern("detection\\s+1500 ms\\s+610 ms\\s+600 ms\\s+PASS");
    assertThat(s).containsPattern("steady load\\s+0 ms\\s+1500 ms\\s+-\\s+INFO");
    assertThat(s).contains("RESULT: every objective met");
  }
}
