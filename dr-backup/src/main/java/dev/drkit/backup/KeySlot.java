package dev.drkit.backup;

import java.time.Instant;

/**
 * A key slot: one passphrase that opens the repository.
 *
 * @param id the slot's id (its blob name under {@code keys/})
 * @param created when it was added
 * @param host the host that added it
 * @param iterations its PBKDF2 iteration count
 * @param current whether this repository handle was opened with it
 */
public record KeySlot(String id, Instant created, String host, int iterations, boolean current) {}
