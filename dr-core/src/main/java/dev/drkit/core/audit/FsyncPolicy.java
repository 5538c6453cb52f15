package dev.drkit.core.audit;

/**
 * When the {@link AuditJournal} forces its appended lines to stable storage.
 *
 * @param everyEvents force after this many appended lines; {@code 1} forces after every line,
 *     {@code 0} never forces (the operating system writes back when it likes; a crash of the machine
 *     may lose the latest lines, a crash of the process does not)
 */
public record FsyncPolicy(int everyEvents) {

  /**
   * Validates.
   *
   * @throws IllegalArgumentException when {@code everyEvents} is negative
   */
  public FsyncPolicy {
    if (everyEvents < 0) {
      throw new IllegalArgumentException("everyEvents must be >= 0 but was " + everyEvents);
    }
  }

  /** @return force after every line: nothing acknowledged is ever lost (the default) */
  public static FsyncPolicy always() {
    return new FsyncPolicy(1);
  }

  /**
   * @param n the number of lines between forces, at least 1
   * @return force after every {@code n} lines (and on {@link AuditJournal#sync()} and close)
   * @throws IllegalArgumentException when {@code n < 1}
   */
  public static FsyncPolicy every(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be >= 1 but was " + n);
    }
    return new FsyncPolicy(n);
  }

  /** @return never force except on {@link AuditJournal#sync()} and close */
  public static FsyncPolicy never() {
    return new FsyncPolicy(0);
  }
}
