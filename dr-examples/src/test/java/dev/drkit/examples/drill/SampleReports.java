package dev.drkit.examples.drill;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Report fixtures for the writer tests (the scenario tests check reports of real runs). */
final class SampleReports {
  private SampleReports() {}

  static DrillReport siteLoss(boolean met) {
    List<DrillReport.Sample> samples = new ArrayList<>();
    for (int i = 0; i <= 40; i++) {
      boolean outage = i >= 15 && i < 20;
      samples.add(new DrillReport.Sample(i * 100L, outage ? 0 : 95 + (i % 7), outage ? 40 : 0,
          outage ? null : (long) (i % 5)));
    }
    Map<String, Long> breakdown = new LinkedHashMap<>();
    breakdown.put("detection", 610L);
    breakdown.put("failover", 120L);
    breakdown.put("validation", 90L);
    long rto = met ? 820 : 1450;
    return new DrillReport("site-loss", "The primary dies <abruptly> & the backup takes over.", "drill/orders-plan.yaml",
        "orders", "sync", Instant.parse("2026-11-24T00:30:00Z"), 4000, 1000, 1000,
        List.of(new DrillReport.Objective("RTO", "<= 1000 ms", rto + " ms", met),
            new DrillReport.Objective("RPO", "<= 1000 ms, 0 writes (sync)", "0 writes", true)),
        List.of(new DrillReport.Phase("steady load", 0, 1500, null, DrillReport.Verdict.INFO, "writing"),
            new DrillReport.Phase("detection", 1500, 610, 600L, met ? DrillReport.Verdict.PASS : DrillReport.Verdict.FAIL,
                "3 probes failed"),
            new DrillReport.Phase("failover.fence", 2110, 40, 200L, DrillReport.Verdict.PASS, "fenced at epoch 2"),
            new DrillReport.Phase("validation", 2190, 90, 300L, DrillReport.Verdict.PASS, "5 steps")),
        new DrillReport.Rpo(1400, 0, 0, null, null, List.of()),
        new DrillReport.Rto(1500, 1500 + rto, rto, breakdown), samples,
        List.of(new DrillReport.ValidationRun("after failover", "backup", 2, 2190, 90, true,
            List.of(new DrillReport.Step("health", true,
                List.of(new DrillReport.Check("http", "PASSED", 12, "200 from backup")))))),
        List.of(new DrillReport.Event(1500, "drill.site.killed", "WARN", 1, "primary killed", Map.of("site", "primary")),
            new DrillReport.Event(2110, "failover.transition", "INFO", 2, "FAILING_OVER", Map.of())),
        List.of("o-17"), List.of("a note with <markup>"),
        Map.of("cpu stress", "2 busy threads + 1 fsync writer <64 MiB>"));
  }
}
