/**
 * The append-only, hash-chained audit journal of drkit's events: {@link dev.drkit.core.audit.AuditJournal}
 * writes it, {@link dev.drkit.core.audit.AuditJournalVerifier} checks it. The format is documented in
 * {@code docs/audit-journal.md}.
 */
@NullMarked
package dev.drkit.core.audit;

import org.jspecify.annotations.NullMarked;
