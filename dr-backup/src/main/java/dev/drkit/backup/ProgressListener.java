package dev.drkit.backup;

/**
 * Receives {@link Progress} of a long operation (backup, restore, verify, prune): at most a few
 * times per second and once at the end. Called on an engine thread; must be fast. An exception it
 * throws is logged and ignored.
 */
@FunctionalInterface
public interface ProgressListener {
  /** A listener that ignores everything. */
  ProgressListener NONE = p -> { };

  /** @param progress the current state */
  void onProgress(Progress progress);
}
