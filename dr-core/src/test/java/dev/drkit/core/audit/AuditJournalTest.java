package dev.drkit.core.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.EventBus;
import dev.drkit.core.IntegrityException;
import dev.drkit.core.StorageException;
import dev.drkit.core.audit.AuditJournalVerifier.Result;
import dev.drkit.core.audit.AuditJournalVerifier.Status;
import dev.drkit.core.spi.DrEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditJournalTest {
  private static final Instant T0 = Instant.parse("2026-11-24T00:00:00Z");
  private static final Clock CLOCK = Clock.fixed(T0, ZoneOffset.UTC);

  @TempDir
  Path dir;

  static DrEvent event(int i) {
    return new DrEvent(T0.plusSeconds(i), "failover.transition", DrEvent.Severity.INFO, "svc-" + (i % 3), i,
        "transition " + i + " with \"quotes\", a newline\nand unicode \u00e9", java.util.Map.of())
        .with("from", "PRIMARY_ACTIVE").with("to", "FAILING_OVER").with("i", i);
  }

  private Path journalWith(int events) {
    Path file = dir.resolve("audit.jsonl");
    // The fsync policy is not what these tests are about; forcing every line only slows them down.
    try (AuditJournal j = AuditJournal.builder(file).fsync(FsyncPolicy.never()).clock(CLOCK).open()) {
      for (int i = 1; i <= events; i++) {
        j.append(event(i));
      }
    }
    return file;
  }

  private static List<String> lines(Path file) throws IOException {
    return Files.readAllLines(file, StandardCharsets.UTF_8);
  }

  private static void writeLines(Path file, List<String> lines) throws IOException {
    Files.write(file, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void writesAChainThatVerifiesAndReadsBack() {
    Path file = journalWith(50);

    Result r = AuditJournalVerifier.verify(file);
    assertThat(r.status()).isEqualTo(Status.INTACT);
    assertThat(r.intactLines()).isEqualTo(51);
    assertThat(r.firstBadLine()).isNull();
    List<DrEvent> events = AuditJournalVerifier.readEvents(file);
    assertThat(events.get(0).type()).isEqualTo("audit.journal.created");
    assertThat(events.get(0).time()).isEqualTo(T0);
    for (int i = 1; i <= 50; i++) {
      assertThat(events.get(i)).isEqualTo(event(i));
    }
  }

  @Test
  void eachLineCarriesTheHashOfTheLineBefore() throws IOException {
    Path file = journalWith(3);
    List<String> lines = lines(file);
    assertThat(lines.get(0)).contains("\"seq\":0").contains("\"prev\":\"" + "0".repeat(64) + "\"");
    for (int i = 1; i < lines.size(); i++) {
      String expected = JournalFormat.sha256(lines.get(i - 1).getBytes(StandardCharsets.UTF_8), 0,
          lines.get(i - 1).getBytes(StandardCharsets.UTF_8).length);
      assertThat(lines.get(i)).contains("\"seq\":" + i).contains("\"prev\":\"" + expected + "\"");
    }
  }

  @Test
  void reopeningContinuesTheChain() {
    Path file = journalWith(3);
    JournalAnchor before;
    try (AuditJournal j = AuditJournal.open(file)) {
      before = j.head();
      assertThat(before.seq()).isEqualTo(3);
      assertThat(j.lines()).isEqualTo(4);
      JournalAnchor next = j.append(event(4));
      assertThat(next.seq()).isEqualTo(4);
      j.append(event(5));
    }
    Result r = AuditJournalVerifier.verify(file, before);
    assertThat(r.status()).isEqualTo(Status.INTACT);
    assertThat(r.intactLines()).isEqualTo(6);
    assertThat(AuditJournalVerifier.readEvents(file)).hasSize(6).last().isEqualTo(event(5));
  }

  @Test
  void catchesAnEditedLine() throws IOException {
    Path file = journalWith(10);
    List<String> lines = new ArrayList<>(lines(file));
    lines.set(4, lines.get(4).replace("transition 4", "transition 44"));
    writeLines(file, lines);

    Result r = AuditJournalVerifier.verify(file);
    assertThat(r.status()).isEqualTo(Status.TAMPERED);
    assertThat(r.firstBadLine()).isEqualTo(5);
    assertThat(r.intactLines()).isEqualTo(4);
    assertThat(r.reason()).contains("edited");
  }

  @Test
  void catchesAnEditedLineWhoseOwnHashWasRecomputed() throws IOException {
    Path file = journalWith(10);
    List<String> lines = new ArrayList<>(lines(file));
    String edited = lines.get(4).replace("\"epoch\":4", "\"epoch\":5");
    byte[] bytes = edited.getBytes(StandardCharsets.UTF_8);
    int body = bytes.length - JournalFormat.HASH_SUFFIX_LENGTH;
    String forged = new String(bytes, 0, body, StandardCharsets.UTF_8) + ",\"hash\":\""
        + JournalFormat.sha256(bytes, 0, body) + "\"}";
    lines.set(4, forged);
    writeLines(file, lines);

    Result r = AuditJournalVerifier.verify(file);
    assertThat(r.status()).isEqualTo(Status.TAMPERED);
    assertThat(r.firstBadLine()).isEqualTo(6);
    assertThat(r.reason()).contains("line 5 was rewritten");
  }

  @Test
  void catchesADeletedLine() throws IOException {
    Path file = journalWith(10);
    List<String> lines = new ArrayList<>(lines(file));
    lines.remove(6);
    writeLines(file, lines);

    Result r = AuditJournalVerifier.verify(file);
    assertThat(r.status()).isEqualTo(Status.TAMPERED);
    assertThat(r.firstBadLine()).isEqualTo(7);
    assertThat(r.reason()).contains("sequence number is 7 but 6 was expected").contains("missing");
  }

  @Test
  void catchesAnInsertedLine() throws IOException {
    Path file = journalWith(10);
    List<String> lines = new ArrayList<>(lines(file));
    lines.add(8, lines.get(3));
    writeLines(file, lines);

    Result r = AuditJournalVerifier.verify(file);
    assertThat(r.status()).isEqualTo(Status.TAMPERED);
    assertThat(r.firstBadLine()).isEqualTo(9);
    assertThat(r.reason()).contains("inserted");
  }

  @Test
  void catchesReorderedLines() throws IOException {
    Path file = journalWith(10);
    List<String> lines = new ArrayList<>(lines(file));
    String third = lines.get(2);
    lines.set(2, lines.get(3));
    lines.set(3, third);
    writeLines(file, lines);

    Result r = AuditJournalVerifier.verify(file);
    assertThat(r.status()).isEqualTo(Status.TAMPERED);
    assertThat(r.firstBadLine()).isEqualTo(3);
    assertThat(r.reason()).contains("sequence number is 3 but 2 was expected");
  }

  @Test
  void catchesARemovedFirstLine() throws IOException {
    Path file = journalWith(3);
    List<String> lines = new ArrayList<>(lines(file));
    lines.remove(0);
    writeLines(file, lines);
    Result r = AuditJournalVerifier.verify(file);
    assertThat(r.status()).isEqualTo(Status.TAMPERED);
    assertThat(r.firstBadLine()).isEqualTo(1);
  }

  @Test
  void anAnchorCatchesLinesCutFromTheEnd() throws IOException {
    Path file = journalWith(10);
    JournalAnchor head;
    try (AuditJournal j = AuditJournal.open(file)) {
      head = j.head();
    }
    List<String> lines = new ArrayList<>(lines(file));
    writeLines(file, lines.subList(0, 9));

    assertThat(AuditJournalVerifier.verify(file).status()).isEqualTo(Status.INTACT);
    Result anchored = AuditJournalVerifier.verify(file, JournalAnchor.parse(head.toString()));
    assertThat(anchored.status()).isEqualTo(Status.TAMPERED);
    assertThat(anchored.reason()).contains("cut from the end");

    // An anchor of a line that was rewritten (chain rebuilt after it) is caught at that line.
    writeLines(file, lines);
    JournalAnchor wrong = new JournalAnchor(5, "a".repeat(64));
    Result mismatch = AuditJournalVerifier.verify(file, wrong);
    assertThat(mismatch.status()).isEqualTo(Status.TAMPERED);
    assertThat(mismatch.firstBadLine()).isEqualTo(6);
  }

  @Test
  void tellsATornLastLineApartFromTamperingAndRecoversItOnReopen() throws IOException {
    Path file = journalWith(5);
    byte[] intact = Files.readAllBytes(file);
    byte[] torn = Arrays.copyOf(JournalFormat.encode(6, event(6), "0".repeat(64)), 40);
    Files.write(file, torn, java.nio.file.StandardOpenOption.APPEND);

    Result r = AuditJournalVerifier.verify(file);
    assertThat(r.status()).isEqualTo(Status.TORN_TAIL);
    assertThat(r.firstBadLine()).isEqualTo(7);
    assertThat(r.intactLines()).isEqualTo(6);
    assertThat(r.reason()).contains("incomplete").contains("not a sign of tampering");
    assertThat(AuditJournalVerifier.readEvents(file)).hasSize(6);

    try (AuditJournal j = AuditJournal.builder(file).clock(CLOCK).open()) {
      j.append(event(7));
    }
    Path aside = dir.resolve("audit.jsonl.torn-" + intact.length);
    assertThat(aside).exists();
    assertThat(Files.readAllBytes(aside)).isEqualTo(torn);
    Result after = AuditJournalVerifier.verify(file);
    assertThat(after.status()).isEqualTo(Status.INTACT);
    List<DrEvent> events = AuditJournalVerifier.readEvents(file);
    assertThat(events).hasSize(8);
    assertThat(events.get(6).type()).isEqualTo("audit.journal.torn-tail-recovered");
    assertThat(events.get(6).attributes()).containsEntry("movedTo", aside.toString());
    assertThat(events.get(7)).isEqualTo(event(7));
  }

  @Test
  void aTamperedLineBeforeATornTailIsStillTampering() throws IOException {
    Path file = journalWith(5);
    List<String> lines = new ArrayList<>(lines(file));
    lines.set(2, lines.get(2).replace("svc-", "svx-"));
    Files.write(file, (String.join("\n", lines) + "\n{\"seq\":6,\"ti").getBytes(StandardCharsets.UTF_8));
    Result r = AuditJournalVerifier.verify(file);
    assertThat(r.status()).isEqualTo(Status.TAMPERED);
    assertThat(r.firstBadLine()).isEqualTo(3);
  }

  @Test
  void refusesToAppendToATamperedJournalAndLeavesItUntouched() throws IOException {
    Path file = journalWith(5);
    List<String> lines = new ArrayList<>(lines(file));
    lines.remove(2);
    writeLines(file, lines);
    byte[] evidence = Files.readAllBytes(file);

    assertThatThrownBy(() -> AuditJournal.open(file)).isInstanceOf(IntegrityException.class)
        .hasMessageContaining("line 3").hasMessageContaining("refusing to append");
    assertThat(Files.readAllBytes(file)).isEqualTo(evidence);
    assertThatThrownBy(() -> AuditJournalVerifier.readEvents(file)).isInstanceOf(IntegrityException.class);
  }

  @Test
  void aCrashAtAnyByteLeavesAJournalThatReopensIntact() throws IOException {
    Path reference = journalWith(20);
    byte[] full = Files.readAllBytes(reference);
    Random random = new Random(5);
    for (int round = 0; round < 60; round++) {
      int cut = random.nextInt(full.length + 1);
      Path file = dir.resolve("crash-" + round + ".jsonl");
      Files.write(file, Arrays.copyOf(full, cut));

      Result r = AuditJournalVerifier.verify(file);
      assertThat(r.status()).as("cut at %d", cut).isIn(Status.INTACT, Status.TORN_TAIL);
      long kept = r.intactLines();
      try (AuditJournal j = AuditJournal.builder(file).clock(CLOCK).open()) {
        j.append(event(100));
      }
      Result after = AuditJournalVerifier.verify(file);
      assertThat(after.status()).as("after reopening a cut at %d", cut).isEqualTo(Status.INTACT);
      List<DrEvent> events = AuditJournalVerifier.readEvents(file);
      assertThat(events.get(events.size() - 1)).isEqualTo(event(100));
      // every line that was complete before the crash is still there, unchanged
      List<DrEvent> original = AuditJournalVerifier.readEvents(reference);
      int survivors = (int) Math.max(kept, 0);
      if (survivors > 0) {
        assertThat(events.subList(0, survivors)).isEqualTo(original.subList(0, survivors));
      }
    }
  }

  @Test
  void manyThreadsAppendWithoutBreakingTheChain() throws Exception {
    Path file = dir.resolve("concurrent.jsonl");
    int threads = 8;
    int perThread = 250;
    try (AuditJournal j = AuditJournal.builder(file).fsync(FsyncPolicy.every(64)).clock(CLOCK).open()) {
      EventBus bus = EventBus.of(j);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int base = t * perThread;
        futures.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < perThread; i++) {
            bus.publish(event(base + i));
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
      pool.shutdown();
      assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
      assertThat(j.lines()).isEqualTo(1 + threads * perThread);
    }
    Result r = AuditJournalVerifier.verify(file);
    assertThat(r.status()).isEqualTo(Status.INTACT);
    List<DrEvent> events = AuditJournalVerifier.readEvents(file);
    assertThat(events).hasSize(1 + threads * perThread);
    assertThat(new HashSet<>(events.subList(1, events.size()))).isEqualTo(
        Stream.iterate(0, i -> i + 1).limit(threads * perThread).map(AuditJournalTest::event).collect(Collectors.toSet()));
  }

  @Test
  void aSecondWriterCannotOpenAnOpenJournal() {
    Path file = dir.resolve("locked.jsonl");
    try (AuditJournal j = AuditJournal.open(file)) {
      assertThatThrownBy(() -> AuditJournal.open(file)).isInstanceOf(StorageException.class)
          .hasMessageContaining("already open");
      j.append(event(1));
    }
    assertThat(AuditJournalVerifier.verify(file).intactLines()).isEqualTo(2);
  }

  @Test
  void refusesAppendsAfterClose() {
    Path file = dir.resolve("closed.jsonl");
    AuditJournal j = AuditJournal.builder(file).fsync(FsyncPolicy.never()).open();
    j.append(event(1));
    j.close();
    j.close();
    assertThatThrownBy(() -> j.append(event(2))).isInstanceOf(StorageException.class).hasMessageContaining("closed");
    assertThat(AuditJournalVerifier.verify(file).intactLines()).isEqualTo(2);
  }

  @Test
  void validatesItsPolicyAndAnchorArguments() {
    assertThat(FsyncPolicy.always().everyEvents()).isEqualTo(1);
    assertThat(FsyncPolicy.every(10).everyEvents()).isEqualTo(10);
    assertThat(FsyncPolicy.never().everyEvents()).isZero();
    assertThatThrownBy(() -> FsyncPolicy.every(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new JournalAnchor(1, "xyz")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> JournalAnchor.parse("nope")).isInstanceOf(IllegalArgumentException.class);
    assertThat(JournalAnchor.parse("7:" + "b".repeat(64))).isEqualTo(new JournalAnchor(7, "b".repeat(64)));
  }

  @Test
  void verifiesLinesLongerThanTheReadBuffer() {
    Path file = dir.resolve("long.jsonl");
    DrEvent big = new DrEvent(T0, "validation.report", DrEvent.Severity.INFO, "orders", 1, "x".repeat(200_000),
        java.util.Map.of());
    try (AuditJournal j = AuditJournal.builder(file).fsync(FsyncPolicy.never()).clock(CLOCK).open()) {
      for (int i = 0; i < 5; i++) {
        j.append(big);
        j.append(event(i));
      }
    }
    assertThat(AuditJournalVerifier.verify(file).status()).isEqualTo(Status.INTACT);
    assertThat(AuditJournalVerifier.readEvents(file)).hasSize(11).element(1).isEqualTo(big);
  }

  @Test
  void reportsAnOverlongLineAsDamage() throws IOException {
    Path file = journalWith(2);
    Files.write(file, ("x".repeat(AuditJournalVerifier.MAX_LINE_BYTES + 10) + "\n").getBytes(StandardCharsets.UTF_8),
        java.nio.file.StandardOpenOption.APPEND);
    Result r = AuditJournalVerifier.verify(file);
    assertThat(r.status()).isEqualTo(Status.TAMPERED);
    assertThat(r.firstBadLine()).isEqualTo(4);
    assertThat(r.reason()).contains("longer than");
  }
}
