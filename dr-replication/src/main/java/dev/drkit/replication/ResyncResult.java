package dev.drkit.replication;

import org.jspecify.annotations.Nullable;

/**
 * What a {@link Resync} did to bring a target site up to date.
 *
 * @param divergenceOffset the first offset where the target's history left the source's
 * @param quarantined the file holding the target's divergent records, or {@code null} if none
 * @param snapshotNextOffset the offset of the snapshot installed, or {@code -1} if none was needed
 * @param copiedRecords how many records were copied from the source's log
 * @param targetNextOffset the target's next offset afterwards
 */
public record ResyncResult(long divergenceOffset, @Nullable QuarantineFile quarantined, long snapshotNextOffset,
    long copiedRecords, long targetNextOffset) {}
