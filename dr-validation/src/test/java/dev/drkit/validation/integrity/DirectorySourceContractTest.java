package dev.drkit.validation.integrity;

import dev.drkit.core.spi.RangeDigestSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** The {@link RangeDigestSource} contract over directory trees. */
class DirectorySourceContractTest extends RangeDigestSourceContract {
  @TempDir
  Path tmp;

  @BeforeEach
  void trees() throws Exception {
    for (String side : List.of("a", "b", "c")) {
      for (int i = 0; i < 100; i++) {
        Path p = tmp.resolve(side).resolve("d" + (i % 7)).resolve("f" + i + ".dat");
        Files.createDirectories(p.getParent());
        Files.writeString(p, "content of file " + i + "\n".repeat(i % 5));
      }
    }
    Files.writeString(tmp.resolve("c/d3/f3.dat"), "changed");
    Files.delete(tmp.resolve("c/d0/f7.dat"));
  }

  @Override
  RangeDigestSource base() {
    return new MerkleIndex(new DirectoryEntrySource(tmp.resolve("a"), 64));
  }

  @Override
  RangeDigestSource sameAsBase() {
    return new MerkleIndex(new DirectoryEntrySource(tmp.resolve("b"), 64));
  }

  @Override
  RangeDigestSource changed() {
    return new MerkleIndex(new DirectoryEntrySource(tmp.resolve("c"), 64));
  }

  @Override
  List<String> changedKeys() {
    return List.of("d0/f7.dat#0", "d3/f3.dat#0");
  }
}
