package dev.drkit.spi;

/**
 * A backup's answer to shipped batches: how far it has received, made durable and applied.
 * Offsets are inclusive; {@code -1} means none.
 *
 * @param epoch the newest epoch the backup has seen
 * @param receivedOffset the last offset received (maybe not yet durable)
 * @param durableOffset the last offset forced to the backup's stable storage
 * @param appliedOffset the last offset the host's sink applied
 */
public record ReplicationAck(long epoch, long receivedOffset, long durableOffset, long appliedOffset) {}
