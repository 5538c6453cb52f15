package dev.drkit.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.EventBus;
import dev.drkit.replication.internal.Wire;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, finding 3, in a backup JVM with a 32 MiB heap: a dozen connections each announcing a
 * 64 MiB message and 700 idle connections neither exhaust its heap nor stop it from serving the
 * real primary. (Before the fix the first 64 MiB announcement alone exceeded this heap.) Prints the
 * heap figures recorded in {@code benchmarks/RESULTS.md}.
 */
class WireMemoryChildJvmTest {
  @TempDir Path dir;

  @Test
  void aSmallHeapBackupSurvivesHugeLengthPrefixesAndHundredsOfIdleConnections() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path err = dir.resolve("child.err");
    Process child = new ProcessBuilder(java, "-Xmx32m", "-Xshare:off", "-cp", System.getProperty("java.class.path"),
        BackupUnderAttackChild.class.getName(), dir.resolve("backup").toString(),
        HexFormat.of().formatHex(RawPeer.SECRET), "16").redirectError(err.toFile()).start();
    List<RawPeer> open = new ArrayList<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        PrintWriter cmd = new PrintWriter(new OutputStreamWriter(child.getOutputStream(), StandardCharsets.UTF_8),
            true)) {
      String first = out.readLine();
      assertThat(first).as("child started (stderr: %s)", Files.exists(err) ? Files.readString(err) : "").startsWith(
          "PORT ");
      int port = Integer.parseInt(first.substring(5));
      cmd.println("heap");
      String before = out.readLine();

      for (int i = 0; i < 12; i++) {
        RawPeer a = RawPeer.connect(port);
        open.add(a);
        a.write(ByteBuffer.allocate(4).putInt(0, 64 << 20));
      }
      for (int i = 0; i < 12; i++) {
        assertThat(open.get(i).refusal().code()).isEqualTo(Wire.E_TOO_LARGE);
      }
      int busy = 0;
      List<RawPeer> idle = new ArrayList<>();
      for (int i = 0; i < 700; i++) {
        idle.add(RawPeer.connect(port));
      }
      open.addAll(idle);
      for (int i = 16; i < idle.size(); i++) {
        if (idle.get(i).refusal().code() == Wire.E_BUSY) {
          busy++;
        }
      }
      assertThat(busy).isEqualTo(700 - 16);
      cmd.println("heap");
      String during = out.readLine();
      assertThat(during).as("connections held").endsWith(" 16");

      for (RawPeer p : open) {
        p.close();
      }
      ReplicationLog plog = ReplicationLog.open(dir.resolve("primary"), LogConfig.builder("orders").build());
      try (plog;
          TcpTransport t = RawPeer.primary(port);
          ReplicationPrimary p = ReplicationPrimary.builder("orders", plog, t).epoch(1).eventBus(new EventBus())
              .reconnectDelay(Duration.ofMillis(20)).heartbeatInterval(Duration.ofMillis(20)).build()) {
        p.start();
        for (int i = 0; i < 200; i++) {
          p.append(("order-" + i).getBytes(StandardCharsets.UTF_8));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String applied;
        do {
          cmd.println("applied");
          applied = out.readLine();
        } while (!"APPLIED 199".equals(applied) && System.nanoTime() < deadline);
        assertThat(applied).isEqualTo("APPLIED 199");
      }
      cmd.println("heap");
      String after = out.readLine();
      System.out.println("backup -Xmx32m heap (usedAfterGc peakUsed max openConnections): before attack " + before
          + "; after 12 x 64 MiB prefixes and 700 idle connections " + during + "; after serving 200 records "
          + after);
      cmd.println("quit");
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(child.exitValue()).isZero();
      assertThat(Files.readString(err)).doesNotContain("OutOfMemoryError");
    } finally {
      for (RawPeer p : open) {
        p.close();
      }
      child.destroyForcibly();
    }
  }
}
