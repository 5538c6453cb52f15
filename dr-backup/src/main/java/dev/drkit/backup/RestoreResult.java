package dev.drkit.backup;

/**
 * What a restore wrote.
 *
 * @param files regular files restored
 * @param directories directories restored
 * @param symlinks symbolic links restored
 * @param bytes content bytes restored
 * @param durationMillis wall time
 */
public record RestoreResult(long files, long directories, long symlinks, long bytes, long durationMillis) {}
