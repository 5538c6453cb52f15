package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.config.EncryptionConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Symlink targets and names are opaque bytes: whatever {@code ln -s} made (relative with {@code ..},
 * absolute, ASCII or not, not even UTF-8, with doubled or trailing slashes) comes back from a
 * {@link FileTreeSource} backup and a restore with exactly the same bytes, as {@code readlink}
 * sees them. Links are made and read by the shell, so the check does not trust the JVM's paths.
 */
class SymlinkTargetPropertiesTest {
  private static final HexFormat HEX = HexFormat.of();

  @Property(tries = 60)
  void anyTargetBytesAndNameBytesRoundTrip(@ForAll("links") List<byte[][]> links) throws Exception {
    roundTrip(links);
  }

  /** The findings of issue 11: these came back as {@code données/x}, {@code données/x} and {@code y}. */
  @Example
  void relativeNonAsciiTargetsWithDotDotAreRestoredExactly() throws Exception {
    roundTrip(List.of(
        new byte[][] {b("l1"), b("../données/x")},
        new byte[][] {b("l2"), b("../../données/x")},
        new byte[][] {b("l3"), new byte[] {(byte) 0xff, '/', '.', '.', '/', 'y'}},
        new byte[][] {b("l4"), b("../dir/")},
        new byte[][] {b("l5"), b("a//b")},
        new byte[][] {b("l6"), b("/abs/./x/../données//")},
        new byte[][] {new byte[] {'n', (byte) 0xe9}, b("./.././\n")}));
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void roundTrip(List<byte[][]> links) throws Exception {
    Path tmp = Files.createTempDirectory("symlink-props");
    try {
      Path src = Files.createDirectories(tmp.resolve("src"));
      List<byte[]> names = links.stream().map(l -> l[0]).toList();
      List<byte[]> targets = links.stream().map(l -> l[1]).toList();
      RawShell.symlinks(src, names, targets);
      assertThat(hex(RawShell.readlinks(src, names))).as("fixture").isEqualTo(hex(targets));

      try (Repository repo = Repository.init(new FileSystemBlobStore(tmp.resolve("repo")), EncryptionConfig.none(),
          null, RepositoryOptions.builder().host("h").build())) {
        Snapshot s = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
        assertThat(s.stats().symlinks()).isEqualTo(links.size());
        Path out = tmp.resolve("out");
        repo.restore(s.id(), out);
        assertThat(hex(RawShell.readlinks(out, names))).isEqualTo(hex(targets));
      }
    } finally {
      try (Stream<Path> walk = Files.walk(tmp)) {
        for (Path p : walk.sorted((x, y) -> y.getNameCount() - x.getNameCount()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  private static List<String> hex(List<byte[]> bs) {
    return bs.stream().map(HEX::formatHex).toList();
  }

  @Provide
  Arbitrary<List<byte[][]>> links() {
    Arbitrary<byte[]> target = Arbitraries.oneOf(pathLike(), anyBytes());
    return Arbitraries.integers().between(1, 6).flatMap(n -> target.list().ofSize(n).flatMap(ts ->
        names(n).map(ns -> {
          List<byte[][]> out = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            out.add(new byte[][] {ns.get(i), ts.get(i)});
          }
          return out;
        })));
  }

  /** {@code n} distinct names: any bytes but NUL and {@code /}, never {@code .} or {@code ..}. */
  private static Arbitrary<List<byte[]>> names(int n) {
    Arbitrary<byte[]> name = Arbitraries.bytes().filter(x -> x != 0 && x != '/').array(byte[].class).ofMinSize(1)
        .ofMaxSize(12).filter(x -> !new String(x, StandardCharsets.ISO_8859_1).matches("\\.\\.?"));
    return name.list().ofSize(n).filter(l -> {
      Set<String> seen = new HashSet<>();
      return l.stream().allMatch(x -> seen.add(HEX.formatHex(x)));
    });
  }

  /** Any bytes but NUL. */
  private static Arbitrary<byte[]> anyBytes() {
    return Arbitraries.bytes().filter(x -> x != 0).array(byte[].class).ofMinSize(1).ofMaxSize(40);
  }

  /** Components ({@code ..}, {@code .}, ASCII, UTF-8, raw bytes, empty) joined by {@code /}, maybe absolute. */
  private static Arbitrary<byte[]> pathLike() {
    Arbitrary<String> component = Arbitraries.oneOf(
        Arbitraries.of("..", ".", "", "données", "日本", "x y", "-n", "%41", "\\"),
        Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(8),
        Arbitraries.bytes().filter(x -> x != 0 && x != '/').array(byte[].class).ofMinSize(1).ofMaxSize(4)
            .map(x -> new String(x, StandardCharsets.ISO_8859_1) + "\u0000raw"));
    return Arbitraries.integers().between(1, 6).flatMap(k -> component.list().ofSize(k)).flatMap(parts ->
        Arbitraries.of(false, true).map(absolute -> {
          java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
          if (absolute) {
            out.write('/');
          }
          for (int i = 0; i < parts.size(); i++) {
            String c = parts.get(i);
            byte[] bytes = c.endsWith("\u0000raw") ? c.substring(0, c.length() - 4).getBytes(StandardCharsets.ISO_8859_1)
                : c.getBytes(StandardCharsets.UTF_8);
            if (i > 0) {
              out.write('/');
            }
            out.write(bytes, 0, bytes.length);
          }
          byte[] t = out.toByteArray();
          return t.length == 0 ? new byte[] {'.'} : t;
        }));
  }
}
