package dev.drkit.backup.internal;

/**
 * Where a blob lives.
 *
 * @param pack the pack's id
 * @param type blob type
 * @param id the blob's id
 * @param offset byte offset in the pack
 * @param length sealed length
 * @param rawLength plaintext length
 */
public record PackEntry(Id pack, byte type, Id id, int offset, int length, int rawLength) {}
