package dev.drkit.core.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.spi.Versioned;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kills a child JVM with SIGKILL in the middle of its writes and checks what survives. */
@Tag("integration")
class FileStateStoreKillTest {
  @TempDir
  Path dir;

  @Test
  void survivesKillNineAtRandomMomentsWithNoAcknowledgedWriteLostAndNothingTorn() throws Exception {
    Random random = new Random(Long.getLong("drkit.test.seed", 20261124L));
    int rounds = Integer.getInteger("drkit.test.killRounds", 3);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Map<String, Long> acked = new HashMap<>();
    for (int round = 0; round < rounds; round++) {
      Process child = new ProcessBuilder(java, "-Xshare:off", "-cp", System.getProperty("java.class.path"),
          FileStateStoreCrashChild.class.getName(), dir.toString())
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      int killAfter = 1 + random.nextInt(40);
      try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        int seen = 0;
        String line;
        while (seen < killAfter && (line = out.readLine()) != null) {
          String[] parts = line.split(" ");
          acked.put(parts[1], Long.parseLong(parts[2]));
          seen++;
        }
        assertThat(seen).as("child acknowledged writes before the kill").isEqualTo(killAfter);
        child.toHandle().destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no flushing; keeps our pipe open
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        // Acknowledgements printed between the last line read and the kill still count.
        while ((line = out.readLine()) != null) {
          String[] parts = line.split(" ");
          if (parts.length == 3) {
            acked.put(parts[1], Long.parseLong(parts[2]));
          }
        }
      }
      try (FileStateStore store = FileStateStore.open(dir)) {
        for (String service : List.of("orders", "billing")) {
          long ack = acked.getOrDefault(service, 0L);
          Versioned<dev.drkit.core.spi.ServiceState> v = store.load(service).orElseThrow();
          assertThat(v.version()).as("%s: acknowledged %d", service, ack).isBetween(ack, ack + 1);
          assertThat(v.value()).isEqualTo(FileStateStoreCrashChild.expected(service, v.version(), "x".repeat(4096)));
          acked.put(service, v.version());
        }
      }
      try (Stream<Path> files = Files.list(dir)) {
        assertThat(files.map(p -> p.getFileName().toString()))
            .as("reopening cleaned every temporary").noneMatch(n -> n.contains(FileStateStore.TEMP_MARKER));
      }
    }
  }
}
