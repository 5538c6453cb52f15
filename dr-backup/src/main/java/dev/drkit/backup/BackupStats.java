package dev.drkit.backup;

/**
 * What one backup did.
 *
 * @param files regular files in the snapshot
 * @param directories directories in the snapshot
 * @param symlinks symbolic links in the snapshot
 * @param totalBytes logical size of all files in the snapshot
 * @param filesRead files whose content was read (new or changed, or all for a full backup)
 * @param filesUnchanged files trusted unchanged from the parent snapshot
 * @param bytesRead content bytes read from the source
 * @param blobsAdded new blobs stored
 * @param bytesAdded plaintext bytes of the new blobs
 * @param bytesStored bytes written to the repository in new packs
 * @param packsWritten new pack files
 * @param durationMillis wall time of the backup
 */
public record BackupStats(long files, long directories, long symlinks, long totalBytes, long filesRead,
    long filesUnchanged, long bytesRead, long blobsAdded, long bytesAdded, long bytesStored, long packsWritten,
    long durationMillis) {}
