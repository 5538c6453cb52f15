package dev.drkit.validation.integrity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.ConfigException;
import dev.drkit.core.spi.CheckContext;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.core.spi.Site;
import dev.drkit.validation.CheckRegistry;
import dev.drkit.validation.integrity.ComparisonResult.Difference;
import dev.drkit.validation.integrity.ComparisonResult.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IntegrityAdaptersTest {
  private static final CheckContext CTX = new CheckContext("files", Site.BACKUP, 2, Duration.ofSeconds(30));

  private static void write(Path root, String rel, byte[] data) throws Exception {
    Path p = root.resolve(rel);
    Files.createDirectories(p.getParent());
    Files.write(p, data);
  }

  @Test
  void directoryComparisonNamesTheDifferingFilesAndByteRanges(@TempDir Path tmp) throws Exception {
    Path primary = tmp.resolve("primary");
    Path backup = tmp.resolve("backup");
    Random rnd = new Random(11);
    byte[] big = new byte[5 * 4096 + 100];
    rnd.nextBytes(big);
    for (Path root : List.of(primary, backup)) {
      write(root, "db/data.bin", big);
      write(root, "db/empty.log", new byte[0]);
      for (int i = 0; i < 50; i++) {
        write(root, "conf/f" + i + ".txt", ("config " + i).getBytes());
      }
    }
    byte[] damaged = big.clone();
    damaged[3 * 4096 + 7] ^= 0x01; // one flipped bit in the fourth 4 KiB range
    write(backup, "db/data.bin", damaged);
    Files.delete(backup.resolve("conf/f7.txt"));
    write(backup, "conf/stray.txt", "left over".getBytes());

    ComparisonResult r = MerkleComparator.ofDefaults().compare(
        new MerkleIndex(new DirectoryEntrySource(primary, 4096)), new MerkleIndex(new DirectoryEntrySource(backup, 4096)));
    assertThat(r.differences()).containsExactly(
        new Difference("conf/f7.txt#0", Kind.MISSING_ON_BACKUP),
        new Difference("conf/stray.txt#0", Kind.MISSING_ON_PRIMARY),
        new Difference("db/data.bin#3", Kind.CONTENT_DIFFERS));
    assertThat(DirectoryEntrySource.describeKey("db/data.bin#3", 4096)).isEqualTo("db/data.bin bytes [12288, 16384)");
    assertThat(r.primary().entries()).isEqualTo(6 + 1 + 50);

    CheckRegistry registry = CheckRegistry.withBuiltIns();
    HealthResult h = registry.create(CheckSpec.of("integrity", Map.of("kind", "directory", "primary",
        primary.toString(), "backup", backup.toString(), "chunkSize", 4096)), Site.BACKUP).check(CTX);
    assertThat(h.healthy()).isFalse();
    assertThat(h.detail()).contains("3 differing key(s)").contains("db/data.bin bytes [12288, 16384) content differs")
        .contains("conf/f7.txt bytes [0, 4096) missing on backup");
    assertThat(h.data()).containsKeys("bytesExchanged", "dataBytes", "differingRanges");
  }

  @Test
  void directoryRestoredCopyThatMatchesIsHealthy(@TempDir Path tmp) throws Exception {
    for (String side : List.of("a", "b")) {
      write(tmp.resolve(side), "x/y.txt", "same".getBytes());
    }
    HealthResult h = CheckRegistry.withBuiltIns().create(CheckSpec.of("integrity", Map.of("kind", "directory",
        "primary", tmp.resolve("a").toString(), "backup", tmp.resolve("b").toString())), Site.BACKUP).check(CTX);
    assertThat(h.healthy()).as(h.detail()).isTrue();
    assertThat(h.detail()).contains("identical");
  }

  @Test
  void missingDirectoryIsAnErrorNamingIt(@TempDir Path tmp) {
    var check = CheckRegistry.withBuiltIns().create(CheckSpec.of("integrity", Map.of("kind", "directory",
        "primary", tmp.toString(), "backup", tmp.resolve("nope").toString())), Site.BACKUP);
    assertThatThrownBy(() -> check.check(CTX)).hasMessageContaining("nope");
  }

  private static JdbcDataSource h2(String name) throws Exception {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:" + name + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
    try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE accounts(region VARCHAR(8), id BIGINT, owner VARCHAR(40), balance DECIMAL(12,2),"
          + " note VARCHAR(40), PRIMARY KEY(region, id))");
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO accounts VALUES (?, ?, ?, ?, ?)")) {
        for (int i = 0; i < 2_000; i++) {
          ps.setString(1, i % 2 == 0 ? "eu" : "us");
          ps.setLong(2, i);
          ps.setString(3, "owner" + i);
          ps.setBigDecimal(4, java.math.BigDecimal.valueOf(i * 7L, 2));
          ps.setString(5, i % 10 == 0 ? null : "n" + i);
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
    return ds;
  }

  @Test
  void jdbcTableComparisonFindsTheDifferingPrimaryKeys() throws Exception {
    JdbcDataSource primary = h2("p");
    JdbcDataSource backup = h2("b");
    try (Connection c = backup.getConnection(); Statement st = c.createStatement()) {
      st.execute("UPDATE accounts SET balance = balance + 0.01 WHERE region = 'us' AND id = 1001");
      st.execute("UPDATE accounts SET note = '' WHERE region = 'eu' AND id = 20"); // NULL -> empty differs
      st.execute("DELETE FROM accounts WHERE region = 'eu' AND id = 100");
      st.execute("INSERT INTO accounts VALUES ('ap', 1, 'x', 0, NULL)");
    }
    CheckRegistry registry = CheckRegistry.withBuiltIns().registerDataSource("pdb", primary)
        .registerDataSource("bdb", backup);
    CheckSpec spec = CheckSpec.of("integrity", Map.of("kind", "jdbc", "primary", "pdb", "backup", "bdb",
        "table", "accounts", "keyColumns", List.of("region", "id")));
    registry.validate(spec);
    HealthResult h = registry.create(spec, Site.BACKUP).check(CTX);
    assertThat(h.healthy()).isFalse();
    assertThat(h.data().get("differences")).isEqualTo(List.of("ap|1 MISSING_ON_PRIMARY", "eu|100 MISSING_ON_BACKUP",
        "eu|20 CONTENT_DIFFERS", "us|1001 CONTENT_DIFFERS"));
    assertThat(h.data()).containsEntry("primaryEntries", 2_000L).containsEntry("backupEntries", 2_000L);

    CheckSpec onlyOwner = CheckSpec.of("integrity", Map.of("kind", "jdbc", "primary", "pdb", "backup", "bdb",
        "table", "accounts", "keyColumns", List.of("region", "id"), "columns", List.of("owner")));
    assertThat(registry.create(onlyOwner, Site.BACKUP).check(CTX).data().get("differences"))
        .as("balance and note are not compared").isEqualTo(List.of("ap|1 MISSING_ON_PRIMARY", "eu|100 MISSING_ON_BACKUP"));
  }

  @Test
  void planErrorsOfIntegrityChecksNameTheirFields() {
    CheckRegistry registry = CheckRegistry.withBuiltIns();
    assertThatThrownBy(() -> registry.validate(CheckSpec.of("integrity", Map.of("kind", "tape"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("params.kind");
    assertThatThrownBy(() -> registry.validate(CheckSpec.of("integrity", Map.of("kind", "jdbc", "primary", "p",
        "backup", "b", "table", "accounts; DROP TABLE x", "keyColumns", List.of("id", "1bad")))))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).problems()).extracting(ConfigException.Problem::path)
            .containsExactlyInAnyOrder("params.primary", "params.backup", "params.table", "params.keyColumns[1]"));
    assertThatThrownBy(() -> registry.validate(CheckSpec.of("integrity", Map.of("primary", "x", "backup", "y"))))
        .hasMessageContaining("no digest source is registered under the name 'x'");
  }

  @Test
  void registeredDigestSourcesAreComparedByName() throws Exception {
    CheckRegistry registry = CheckRegistry.withBuiltIns()
        .registerDigestSource("orders-primary", new MerkleIndex(new MapEntrySource(Map.of("a", new byte[] {1}))))
        .registerDigestSource("orders-restored", new MerkleIndex(new MapEntrySource(Map.of("a", new byte[] {1}))));
    HealthResult h = registry.create(CheckSpec.of("integrity", Map.of("primary", "orders-primary",
        "backup", "orders-restored")), Site.PRIMARY).check(CTX);
    assertThat(h.healthy()).as(h.detail()).isTrue();
  }
}
