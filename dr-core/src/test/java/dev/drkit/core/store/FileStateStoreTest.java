package dev.drkit.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.FailoverState;
import dev.drkit.core.StorageException;
import dev.drkit.core.spi.ServiceState;
import dev.drkit.core.spi.Site;
import dev.drkit.core.spi.StateStore;
import dev.drkit.core.spi.Versioned;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FileStateStore's own behaviour: its files, crash leftovers, damage and I/O failures. The
 * StateStore contract suite runs over it in dr-testkit ({@code FileStateStoreContractTest}), which
 * depends on dr-core and so cannot be used from here.
 */
class FileStateStoreTest {
  @TempDir
  Path dir;

  StateStore store;

  @BeforeEach
  void open() {
    store = FileStateStore.open(dir);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private static ServiceState state(String service, int n) {
    FailoverState[] all = FailoverState.values();
    return new ServiceState(service, all[n % all.length], n + 1L, n % 2 == 0 ? Site.PRIMARY : Site.BACKUP,
        Instant.parse("2026-01-01T00:00:00Z").plusMillis(n), "reason " + n, Map.of("n", Integer.toString(n)));
  }

  private long tempFiles() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().contains(FileStateStore.TEMP_MARKER)).count();
    }
  }

  @Test
  void writesOneChecksummedFilePerServiceAndNoTemporaries() throws IOException {
    store.compareAndSet("orders", 0, state("orders", 1));
    Path f = dir.resolve("orders.state");
    assertThat(f).exists();
    String[] lines = Files.readString(f).split("\n");
    assertThat(lines).hasSize(2);
    assertThat(lines[0]).contains("\"service\":\"orders\"").contains("\"version\":1");
    assertThat(lines[1]).matches("[0-9a-f]+");
    assertThat(tempFiles()).isZero();
  }

  @Test
  void refusesASecondOwnerOfTheDirectory() {
    assertThatThrownBy(() -> FileStateStore.open(dir))
        .isInstanceOf(StorageException.class).hasMessageContaining("in use");
    store.close();
    try (FileStateStore again = FileStateStore.open(dir)) {
      assertThat(again.services()).isEmpty();
    }
  }

  @Test
  void deletesLeftoverTemporaryFilesOfAnInterruptedWriteAndKeepsThePreviousState() throws IOException {
    store.compareAndSet("orders", 0, state("orders", 1));
    store.close();
    // A write torn anywhere before the rename leaves only a (partial) temporary file behind.
    String full = FileStateStore.encode(new Versioned<>(state("orders", 2), 2));
    Files.writeString(dir.resolve("orders.state" + FileStateStore.TEMP_MARKER + "1"),
        full.substring(0, full.length() / 2), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("orders.state" + FileStateStore.TEMP_MARKER + "2"), full, StandardCharsets.UTF_8);
    store = FileStateStore.open(dir);
    assertThat(store.load("orders").orElseThrow()).isEqualTo(new Versioned<>(state("orders", 1), 1));
    assertThat(tempFiles()).isZero();
  }

  @Test
  void reportsADamagedFileByNameAndKeepsOtherServicesUsable() throws IOException {
    store.compareAndSet("orders", 0, state("orders", 1));
    store.compareAndSet("billing", 0, state("billing", 1));
    store.close();
    Path f = dir.resolve("orders.state");
    byte[] bytes = Files.readAllBytes(f);
    bytes[20] ^= 0x01;
    Files.write(f, bytes);
    store = FileStateStore.open(dir);
    assertThatThrownBy(() -> store.load("orders")).isInstanceOf(StorageException.class)
        .hasMessageContaining("orders.state").hasMessageContaining("checksum");
    assertThatThrownBy(() -> store.compareAndSet("orders", 1, state("orders", 2)))
        .isInstanceOf(StorageException.class);
    assertThat(Files.readAllBytes(f)).as("damaged file left for repair, not overwritten").isEqualTo(bytes);
    assertThat(store.load("billing").orElseThrow().version()).isEqualTo(1);
    assertThat(store.compareAndSet("billing", 1, state("billing", 2))).isEqualTo(2);
  }

  private static String withChecksum(String body) {
    java.util.zip.CRC32C c = new java.util.zip.CRC32C();
    c.update(body.getBytes(StandardCharsets.UTF_8));
    return body + "\n" + Long.toHexString(c.getValue()) + "\n";
  }

  @Test
  void aFileWithoutAnEpochIsUnreadableNotEpochZero() throws IOException {
    store.compareAndSet("orders", 0, state("orders", 1));
    store.close();
    Path f = dir.resolve("orders.state");
    String body = Files.readString(f).lines().findFirst().orElseThrow();
    assertThat(body).contains("\"epoch\":2,");
    Files.writeString(f, withChecksum(body.replace("\"epoch\":2,", "")));
    store = FileStateStore.open(dir);
    assertThatThrownBy(() -> store.load("orders")).isInstanceOf(StorageException.class)
        .hasMessageContaining("orders.state").hasMessageContaining("field 'epoch' missing or not an integer");
  }

  @Test
  void aFileWithAWronglyTypedFieldIsUnreadable() throws IOException {
    store.compareAndSet("orders", 0, state("orders", 1));
    store.close();
    Path f = dir.resolve("orders.state");
    String body = Files.readString(f).lines().findFirst().orElseThrow();
    Files.writeString(f, withChecksum(body.replace("\"epoch\":2,", "\"epoch\":\"2\",")));
    store = FileStateStore.open(dir);
    assertThatThrownBy(() -> store.load("orders")).isInstanceOf(StorageException.class)
        .hasMessageContaining("field 'epoch'");
  }

  @Test
  void readsAFileInTheFieldOrderOfEarlierVersions() throws IOException {
    String old = "{\"format\":1,\"service\":\"orders\",\"version\":4,\"state\":\"BACKUP_ACTIVE\",\"epoch\":3,"
        + "\"activeSite\":\"BACKUP\",\"since\":\"2026-01-01T00:00:00Z\",\"reason\":\"r\",\"attributes\":{\"k\":\"v\"}}";
    store.close();
    Files.writeString(dir.resolve("orders.state"), withChecksum(old));
    store = FileStateStore.open(dir);
    Versioned<ServiceState> v = store.load("orders").orElseThrow();
    assertThat(v.version()).isEqualTo(4);
    assertThat(v.value()).isEqualTo(new ServiceState("orders", FailoverState.BACKUP_ACTIVE, 3, Site.BACKUP,
        Instant.parse("2026-01-01T00:00:00Z"), "r", Map.of("k", "v")));
  }

  @Test
  void reportsATruncatedFile() throws IOException {
    store.compareAndSet("orders", 0, state("orders", 1));
    store.close();
    Path f = dir.resolve("orders.state");
    String text = Files.readString(f);
    Files.writeString(f, text.substring(0, text.length() / 3));
    store = FileStateStore.open(dir);
    assertThatThrownBy(() -> store.load("orders")).isInstanceOf(StorageException.class)
        .hasMessageContaining("orders.state");
  }

  @Test
  void ioFailureBeforeRenameKeepsThePreviousStateEverywhere() throws IOException {
    store.close();
    boolean[] fail = {false};
    store = FileStateStore.open(dir, (stage, service) -> {
      if (fail[0] && stage.equals("temp-written")) {
        throw new IOException("injected: disk full");
      }
    });
    store.compareAndSet("orders", 0, state("orders", 1));
    fail[0] = true;
    assertThatThrownBy(() -> store.compareAndSet("orders", 1, state("orders", 2)))
        .isInstanceOf(StorageException.class).hasMessageContaining("previous state kept")
        .hasMessageContaining("disk full");
    assertThat(store.load("orders").orElseThrow().version()).isEqualTo(1);
    assertThat(tempFiles()).isZero();
    fail[0] = false;
    store.close();
    store = FileStateStore.open(dir);
    assertThat(store.load("orders").orElseThrow()).isEqualTo(new Versioned<>(state("orders", 1), 1));
  }

  @Test
  void failureAfterRenameReportsTheWriteAndKeepsViewEqualToDisk() {
    store.close();
    store = FileStateStore.open(dir, (stage, service) -> {
      if (stage.equals("renamed")) {
        throw new IOException("injected: fsync of directory failed");
      }
    });
    assertThatThrownBy(() -> store.compareAndSet("orders", 0, state("orders", 1)))
        .isInstanceOf(StorageException.class).hasMessageContaining("version 1");
    assertThat(store.load("orders").orElseThrow().version()).isEqualTo(1);
    store.close();
    store = FileStateStore.open(dir);
    assertThat(store.load("orders").orElseThrow().value()).isEqualTo(state("orders", 1));
  }

  @Test
  void usingAClosedStoreIsAnError() {
    store.close();
    assertThatThrownBy(() -> store.load("orders")).isInstanceOf(StorageException.class).hasMessageContaining("closed");
  }

  @Test
  void rejectsNamesThatCannotBeFileNames() {
    ServiceState bad = state("../escape", 1);
    assertThatThrownBy(() -> store.compareAndSet("../escape", 0, bad)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("../escape");
  }
}
