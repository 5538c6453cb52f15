package dev.drkit.replication.testing;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Closes what a test opened, the last opened first, after each test, and every one of them even
 * when an earlier close fails (the first failure is thrown, the others suppressed in it). Register
 * it with {@code @RegisterExtension final Closeables closeables = new Closeables();} and wrap each
 * resource in {@link #track}.
 */
public final class Closeables implements AfterEachCallback {
  private final List<AutoCloseable> opened = new ArrayList<>();

  /**
   * @param c a resource the test opened
   * @param <T> its type
   * @return {@code c}, closed after the test
   */
  public <T extends AutoCloseable> T track(T c) {
    opened.add(c);
    return c;
  }

  /** @return how many resources are tracked so far (tests use it to name the next one) */
  public int size() {
    return opened.size();
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    Exception first = null;
    for (int i = opened.size() - 1; i >= 0; i--) {
      try {
        opened.get(i).close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    opened.clear();
    if (first != null) {
      throw first;
    }
  }
}
