package dev.drkit.replication;

import dev.drkit.core.EventBus;
import dev.drkit.replication.spi.ReplicationSink;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;

/**
 * A keyed backup in its own small-heap JVM, for {@link WireMemoryChildJvmTest}. Prints
 * {@code PORT <n>}, then answers commands on stdin: {@code heap} prints
 * {@code HEAP <usedAfterGc> <peakUsed> <max> <openConnections>}, {@code applied} prints
 * {@code APPLIED <offset>}, {@code quit} exits.
 */
public final class BackupUnderAttackChild {
  private BackupUnderAttackChild() {}

  /**
   * @param args log directory, hex secret of key "test", connection limit
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    ReplicationLog log = ReplicationLog.open(Path.of(args[0]), LogConfig.builder("orders").build());
    long[] applied = {-1};
    ReplicationSink sink = new ReplicationSink() {
      @Override
      public synchronized void apply(long epoch, long offset, ByteBuffer payload) {
        applied[0] = offset;
      }

      @Override
      public synchronized long appliedOffset() {
        return applied[0];
      }
    };
    TcpTransport t = TcpTransport.builder(TcpTransport.Config.listening(RawPeer.loopback(0))
            .withMaxConnections(Integer.parseInt(args[2])).withHandshakeTimeout(Duration.ofMinutes(10)))
        .keys(ReplicationKeys.of("test", HexFormat.of().parseHex(args[1]))).build();
    ReplicaApplier applier = new ReplicaApplier("orders", log, sink, new EventBus(), Clock.systemUTC());
    t.serve("orders", applier);
    System.out.println("PORT " + t.boundPort());
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      switch (line) {
        case "heap":
          System.gc();
          System.gc();
          long peak = 0;
          for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
              peak += p.getPeakUsage().getUsed();
            }
          }
          System.out.println("HEAP " + ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() + " " + peak
              + " " + Runtime.getRuntime().maxMemory() + " " + t.openConnections());
          break;
        case "applied":
          System.out.println("APPLIED " + applier.appliedOffset());
          break;
        case "quit":
          t.close();
          log.close();
          return;
        default:
          System.out.println("UNKNOWN " + line);
      }
      System.out.flush();
    }
  }
}
