package dev.drkit.s3;

import java.io.InputStream;
import java.nio.file.Path;

/**
 * Runs {@link S3ProxyServer} (filesystem backend) as a process of its own, for measurements where
 * the storage server must not share the client's heap, garbage collector and JIT: prints
 * {@code PORT <n>} on standard output once listening, and stops when standard input closes.
 * Arguments: the data directory.
 */
public final class S3ProxyMain {
  private S3ProxyMain() {}

  /**
   * @param args the data directory
   * @throws Exception when the server cannot start
   */
  public static void main(String[] args) throws Exception {
    try (S3ProxyServer server = new S3ProxyServer(Path.of(args[0]))) {
      System.out.println("PORT " + server.port());
      System.out.flush();
      InputStream in = System.in;
      while (in.read() != -1) {
        // wait for the parent to close our standard input
      }
    }
  }
}
