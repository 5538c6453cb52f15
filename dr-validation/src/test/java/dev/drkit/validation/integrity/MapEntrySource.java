package dev.drkit.validation.integrity;

import java.util.Map;
import java.util.TreeMap;

/** Entries held in a map, for tests. */
final class MapEntrySource implements EntrySource {
  final Map<String, byte[]> entries;

  MapEntrySource(Map<String, byte[]> entries) {
    this.entries = new TreeMap<>(entries);
  }

  @Override
  public void forEach(EntryVisitor visitor) throws Exception {
    for (Map.Entry<String, byte[]> e : entries.entrySet()) {
      byte[] v = e.getValue();
      visitor.visit(e.getKey(), v.length, () -> v);
    }
  }

  @Override
  public long estimatedEntries() {
    return entries.size();
  }
}
