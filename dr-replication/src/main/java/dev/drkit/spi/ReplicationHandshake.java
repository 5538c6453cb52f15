package dev.drkit.spi;

/**
 * What a backup answers when a primary connects.
 *
 * @param epoch the newest epoch the backup has seen (at least the primary's)
 * @param nextOffset the offset the backup wants next (everything below is durable there):
 *     shipping resumes there
 * @param lastRecordEpoch the epoch of the backup's last record, {@code -1} if it holds none; the
 *     primary checks it against its own epoch history to detect a diverged backup
 */
public record ReplicationHandshake(long epoch, long nextOffset, long lastRecordEpoch) {}
