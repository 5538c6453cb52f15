package dev.drkit.core;

/**
 * A write, command or action carried a fencing epoch older than the newest one the receiver has
 * seen. The receiver has changed nothing. This is how a fenced (stale) primary is made harmless.
 */
public class StaleEpochException extends DrException {
  private static final long serialVersionUID = 1L;
  private final String resource;
  private final long attemptedEpoch;
  private final long currentEpoch;

  /**
   * @param resource what refused the write (a log, a sink, a state record, ...)
   * @param attemptedEpoch the epoch the writer carried
   * @param currentEpoch the newest epoch the receiver has seen
   */
  public StaleEpochException(String resource, long attemptedEpoch, long currentEpoch) {
    super("stale epoch: " + resource + " is at epoch " + currentEpoch
        + ", refused a write from epoch " + attemptedEpoch);
    this.resource = resource;
    this.attemptedEpoch = attemptedEpoch;
    this.currentEpoch = currentEpoch;
  }

  /** @return what refused the write */
  public String resource() {
    return resource;
  }

  /** @return the epoch the refused writer carried */
  public long attemptedEpoch() {
    return attemptedEpoch;
  }

  /** @return the newest epoch the receiver has seen */
  public long currentEpoch() {
    return currentEpoch;
  }
}
