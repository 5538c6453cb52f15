package dev.drkit.replication;

import dev.drkit.core.spi.DrEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which closed segments of a {@link ReplicationLog} may go, and deleting them: by size
 * ({@link LogConfig#retentionBytes()}), by age ({@link LogConfig#retentionAge()}) or, with
 * {@link LogConfig#deleteAcknowledged()}, once every replica acknowledged them. Keeps the replicas'
 * acknowledgements. The active segment always stays.
 */
final class LogRetention {
  private static final Logger LOG = LoggerFactory.getLogger(LogRetention.class);

  /** Where a deletion is reported (the log's event publisher). */
  @FunctionalInterface
  interface Events {
    void publish(DrEvent.Severity severity, String type, String message, Map<String, String> attrs);
  }

  private final LogConfig config;
  private final String name;
  private final NavigableMap<Long, Segment> segments;
  private final Events events;
  private final Map<String, Long> replicaAcks = new ConcurrentHashMap<>();

  LogRetention(LogConfig config, NavigableMap<Long, Segment> segments, Events events) {
    this.config = config;
    this.name = config.name();
    this.segments = segments;
    this.events = events;
  }

  /**
   * Records an acknowledgement.
   *
   * @return whether it lets the oldest segment go (the caller then applies retention)
   */
  boolean acknowledge(String replica, long offset, Segment active) {
    Objects.requireNonNull(replica, "replica");
    Long before = replicaAcks.get(replica);
    replicaAcks.merge(replica, offset, Math::max);
    if (config.deleteAcknowledged() && (before == null || before < offset)) {
      Map.Entry<Long, Segment> first = segments.firstEntry();
      return first != null && first.getValue() != active && first.getValue().lastOffset <= offset;
    }
    return false;
  }

  /**
   * Deletes the oldest closed segments while retention allows. Caller holds the log's flush lock.
   *
   * @return how many segments were deleted
   */
  int apply(Segment active) {
    int deleted = 0;
    long total = segments.values().stream().mapToLong(s -> s.size).sum();
    long minAck = replicaAcks.isEmpty() ? -1 : replicaAcks.values().stream().mapToLong(Long::longValue).min().orElse(-1);
    long now = config.clock().millis();
    while (segments.size() > 1) {
      Segment s = segments.firstEntry().getValue();
      if (s == active) {
        break;
      }
      String why = reason(s, total, now, minAck);
      if (why == null) {
        break;
      }
      segments.remove(s.base);
      s.closeQuietly();
      try {
        Files.deleteIfExists(s.path);
      } catch (IOException e) {
        LOG.warn("log {}: could not delete segment {}", name, s.path, e);
      }
      total -= s.size;
      deleted++;
      events.publish(DrEvent.Severity.INFO, "replication.log.segment-deleted",
          "log " + name + " deleted segment " + s.path.getFileName() + " by " + why + " retention",
          Map.of("segment", s.path.toString(), "reason", why, "lastOffset", String.valueOf(s.lastOffset)));
    }
    return deleted;
  }

  /** @return why {@code s} may go ("size", "age", "acknowledged"), or null when it must stay */
  private @Nullable String reason(Segment s, long total, long now, long minAck) {
    if (total > config.retentionBytes()) {
      return "size";
    }
    if (config.retentionAge() != null && s.lastTimestamp() > 0
        && now - s.lastTimestamp() > Objects.requireNonNull(config.retentionAge()).toMillis()) {
      return "age";
    }
    if (config.deleteAcknowledged() && !replicaAcks.isEmpty() && s.lastOffset <= minAck) {
      return "acknowledged";
    }
    return null;
  }
}
