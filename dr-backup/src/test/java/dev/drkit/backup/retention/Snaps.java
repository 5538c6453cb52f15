package dev.drkit.backup.retention;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Builds snapshot histories for the retention tests. */
final class Snaps {
  private final List<SnapshotDescriptor> list = new ArrayList<>();

  static Snaps history() {
    return new Snaps();
  }

  static Instant utc(String localDateTime) {
    return LocalDateTime.parse(localDateTime.replace(' ', 'T')).toInstant(ZoneOffset.UTC);
  }

  Snaps add(String id, String utcTime, String... tags) {
    list.add(SnapshotDescriptor.of(id, utc(utcTime), "host", Set.of(tags), List.of("/data")));
    return this;
  }

  Snaps add(SnapshotDescriptor s) {
    list.add(s);
    return this;
  }

  List<SnapshotDescriptor> build() {
    return List.copyOf(list);
  }
}
