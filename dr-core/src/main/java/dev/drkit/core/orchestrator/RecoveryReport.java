package dev.drkit.core.orchestrator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.drkit.core.DrException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a recovery run did, service by service in recovery order: outcomes, per-phase times,
 * measured RTO and RPO against the objectives, validation results and events. Serializes to JSON
 * ({@link #toJson()}, {@link #fromJson(String)}) with ISO-8601 instants and durations.
 *
 * @param action what the run did
 * @param by who ordered it
 * @param why the reason the operator gave for the run
 * @param started when it started
 * @param ended when it ended
 * @param waves the services' names per dependency wave, in the order they were started
 * @param services every service's report, in recovery order
 */
public record RecoveryReport(RecoveryAction action, String by, String why, Instant started, Instant ended,
    List<List<String>> waves, List<ServiceReport> services) {
  private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** Validates and copies. */
  public RecoveryReport {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(by, "by");
    Objects.requireNonNull(why, "why");
    Objects.requireNonNull(started, "started");
    Objects.requireNonNull(ended, "ended");
    waves = waves.stream().map(List::copyOf).toList();
    services = List.copyOf(services);
  }

  /**
   * @param name a service
   * @return its report
   */
  public Optional<ServiceReport> service(String name) {
    return services.stream().filter(s -> s.name().equals(name)).findFirst();
  }

  /**
   * @param outcome the outcome to count
   * @return how many services ended so
   */
  public long count(ServiceOutcome outcome) {
    return services.stream().filter(s -> s.outcome() == outcome).count();
  }

  /** @return whether every service recovered (or already was) */
  public boolean succeeded() {
    return services.stream().allMatch(s -> s.outcome() == ServiceOutcome.RECOVERED
        || s.outcome() == ServiceOutcome.ALREADY_RECOVERED);
  }

  /**
   * @return the report as pretty-printed JSON
   * @throws DrException when it cannot be serialized
   */
  public String toJson() {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new DrException("cannot serialize recovery report: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * @param json a report written by {@link #toJson()}
   * @return the report
   * @throws DrException naming the location when the JSON is not a valid report
   */
  public static RecoveryReport fromJson(String json) {
    try {
      return JSON.readValue(json, RecoveryReport.class);
    } catch (JsonProcessingException e) {
      throw new DrException("not a valid recovery report: " + e.getOriginalMessage() + " at "
          + (e.getLocation() == null ? "?" : "line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr()), e);
    }
  }
}
