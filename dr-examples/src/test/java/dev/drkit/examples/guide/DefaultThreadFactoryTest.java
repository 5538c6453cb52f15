package dev.drkit.examples.guide;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.backup.BackupRequest;
import dev.drkit.backup.FileSystemBlobStore;
import dev.drkit.backup.FileTreeSource;
import dev.drkit.backup.Repository;
import dev.drkit.backup.RepositoryOptions;
import dev.drkit.core.DrkitThreading;
import dev.drkit.core.EventBus;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.spi.FailoverActions;
import dev.drkit.core.spi.Site;
import dev.drkit.replication.InProcessTransport;
import dev.drkit.replication.LogConfig;
import dev.drkit.replication.ReplicationFailoverActions;
import dev.drkit.replication.ReplicationLog;
import dev.drkit.replication.ReplicationMode;
import dev.drkit.replication.spi.ReplicationSink;
import dev.drkit.testkit.InMemoryFailoverActions;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The threads of components whose builders take no factory of their own (the backup repository's
 * pools, the replication shipper) come from the application's factory set once with
 * {@link DrkitThreading#setDefaultThreadFactory} (docs/embedding.md, "Threads").
 */
class DefaultThreadFactoryTest {
  @TempDir Path dir;
  private final List<String> made = Collections.synchronizedList(new ArrayList<>());
  @AfterEach
  void reset() {
    DrkitThreading.resetDefaultThreadFactory();
  }

  /** Records the name drkit gives each thread the application's factory made. */
  private ThreadFactory recording() {
    return r -> new Thread(() -> {
      made.add(Thread.currentThread().getName()); // the name drkit set before starting it
      r.run();
    });
  }

  @Test
  void aBackupRunsOnThreadsOfTheApplicationsFactory() throws Exception {
    DrkitThreading.setDefaultThreadFactory(recording());
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.writeString(data.resolve("a.txt"), "hello", StandardCharsets.UTF_8);
    char[] pass = "correct horse battery staple".toCharArray();
    try (Repository repo = Repository.init(new FileSystemBlobStore(dir.resolve("repo")),
        EncryptionConfig.aes256Gcm("host:k"), pass, RepositoryOptions.defaults())) {
      repo.backup(BackupRequest.builder(FileTreeSource.of(data)).build());
    }
    assertThat(made).as("threads the backup started, by the names drkit gave them")
        .anySatisfy(n -> assertThat(n).startsWith("drkit-backup-"))
        .anySatisfy(n -> assertThat(n).isEqualTo("drkit-pack-upload"));
  }

  @Test
  void theReplicationShipperRunsOnAThreadOfTheApplicationsFactory() throws Exception {
    DrkitThreading.setDefaultThreadFactory(recording());
    EventBus bus = new EventBus();
    CountDownLatch applied = new CountDownLatch(1);
    AtomicLong offset = new AtomicLong(-1);
    ReplicationSink db = new ReplicationSink() {
      @Override
      public void apply(long epoch, long off, ByteBuffer payload) {
        offset.set(off);
        applied.countDown();
      }

      @Override
      public long appliedOffset() {
        return offset.get();
      }
    };
    FailoverActions routing = new InMemoryFailoverActions("orders", 1);
    try (ReplicationLog p = ReplicationLog.open(dir.resolve("p"), LogConfig.builder("orders").eventBus(bus).build());
         ReplicationLog b = ReplicationLog.open(dir.resolve("b"), LogConfig.builder("orders").eventBus(bus).build())) {
      InProcessTransport transport = new InProcessTransport();
      ReplicationFailoverActions actions = ReplicationFailoverActions.builder("orders").mode(ReplicationMode.async())
          .host(routing).eventBus(bus)
          .site(Site.PRIMARY, new ReplicationFailoverActions.SiteHandle(p, db, transport))
          .site(Site.BACKUP, new ReplicationFailoverActions.SiteHandle(b, db, transport))
          .build();
      try {
        actions.start(Site.PRIMARY, 1);
        actions.primary(Site.PRIMARY).append("x".getBytes(StandardCharsets.UTF_8));
        assertThat(applied.await(60, TimeUnit.SECONDS)).isTrue();
      } finally {
        actions.close();
      }
    }
    assertThat(made).as("the shipper's thread").contains("drkit-ship-orders");
  }
}
