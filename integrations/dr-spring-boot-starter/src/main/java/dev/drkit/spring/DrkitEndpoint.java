package dev.drkit.spring;

import dev.drkit.core.ValidationReport;
import dev.drkit.core.failover.FailoverEngine;
import dev.drkit.core.failover.PhaseRecord;
import dev.drkit.core.spi.ServiceState;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * The {@code drkit} actuator endpoint (read-only): every service of the plan with its state,
 * epoch, active site, leadership, last phase and last validation report; {@code /drkit/{service}}
 * for one. Expose it with {@code management.endpoints.web.exposure.include=drkit}.
 */
@Endpoint(id = "drkit")
public final class DrkitEndpoint {
  private final DrkitServices services;

  /** @param services the engines */
  public DrkitEndpoint(DrkitServices services) {
    this.services = Objects.requireNonNull(services, "services");
  }

  /** @return every service, in the plan's recovery order */
  @ReadOperation
  public Map<String, Object> services() {
    Map<String, Object> m = new LinkedHashMap<>();
    services.engines().forEach((name, e) -> m.put(name, describe(e)));
    return Map.of("services", m);
  }

  /**
   * @param service a service of the plan
   * @return that service
   */
  @ReadOperation
  public Map<String, Object> service(@Selector String service) {
    return describe(services.engine(service));
  }

  private static Map<String, Object> describe(FailoverEngine e) {
    ServiceState s = e.state();
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("state", s.state().name());
    d.put("epoch", s.epoch());
    d.put("activeSite", s.activeSite().name());
    d.put("since", s.since().toString());
    d.put("reason", s.reason());
    d.put("leadership", e.leadership().name());
    List<PhaseRecord> phases = e.phaseHistory();
    if (!phases.isEmpty()) {
      PhaseRecord p = phases.get(phases.size() - 1);
      Map<String, Object> last = new LinkedHashMap<>();
      last.put("phase", p.phase().name());
      last.put("outcome", p.outcome());
      last.put("detail", p.detail());
      last.put("epoch", p.epoch());
      last.put("started", p.started().toString());
      last.put("ended", p.ended().toString());
      d.put("lastPhase", last);
    }
    e.lastValidation().ifPresent(r -> d.put("lastReport", report(r)));
    return d;
  }

  private static Map<String, Object> report(ValidationReport r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("site", r.site().name());
    m.put("epoch", r.epoch());
    m.put("passed", r.passed());
    m.put("duration", r.duration().toString());
    return m;
  }
}
