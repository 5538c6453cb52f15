package dev.drkit.backup;

/**
 * What {@link Repository#prune} reclaimed.
 *
 * @param packsDeleted packs deleted (unused, repacked, or left by interrupted backups)
 * @param packsRepacked partly used packs whose live blobs were copied into new packs
 * @param packsWritten new packs written by repacking
 * @param blobsRemoved unreferenced blobs dropped
 * @param bytesFreed repository bytes reclaimed (deleted minus written)
 * @param durationMillis wall time
 */
public record PruneResult(long packsDeleted, long packsRepacked, long packsWritten, long blobsRemoved,
    long bytesFreed, long durationMillis) {}
