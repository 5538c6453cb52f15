package dev.drkit.backup.internal;

import dev.drkit.core.BlobNotFoundException;
import dev.drkit.core.IntegrityException;
import dev.drkit.core.spi.BlobInfo;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Deletion records {@code deletions/<SHA-256 of the file>}: plaintext JSON naming the packs a prune
 * is about to delete, written (and checked against the prune's lease) before it deletes anything.
 * Backups never deduplicate against or re-index a pack a record names, so a prune that was paused
 * past its lease between its last check and a delete cannot remove a pack that a backup started
 * meanwhile relies on. The prune removes its record when every pack it names is gone; a later prune
 * finishes the deletions of an interrupted one.
 */
public final class Deletions {
  /** The key prefix. */
  public static final String PREFIX = "deletions/";

  private Deletions() {}

  /**
   * The JSON form.
   *
   * @param owner what wrote it
   * @param created when (ISO-8601)
   * @param packs the hex ids of the packs to delete
   */
  public record DeletionRecord(String owner, String created, List<String> packs) {}

  /**
   * Writes a record.
   *
   * @param ctx the repository
   * @param owner what writes it
   * @param packs the packs to delete
   * @return the record's key
   */
  public static String write(Ctx ctx, String owner, List<Id> packs) {
    List<String> hex = new ArrayList<>(packs.size());
    for (Id p : packs) {
      hex.add(p.hex());
    }
    byte[] json = Json.write(new DeletionRecord(owner, ctx.clock().instant().toString(), hex));
    String key = PREFIX + Crypto.sha256(json).hex();
    ctx.store().putIfAbsent(key, json);
    return key;
  }

  /** @param ctx the repository @return the keys of every record */
  public static List<String> keys(Ctx ctx) {
    List<String> out = new ArrayList<>();
    for (BlobInfo info : ctx.store().list(PREFIX)) {
      out.add(info.key());
    }
    return out;
  }

  /**
   * @param ctx the repository
   * @return every pack some record dooms
   * @throws IntegrityException naming a damaged record
   */
  public static Set<Id> doomed(Ctx ctx) {
    Set<Id> out = new LinkedHashSet<>();
    for (String key : keys(ctx)) {
      byte[] data;
      try {
        data = ctx.store().get(key);
      } catch (BlobNotFoundException e) {
        continue; // its prune finished meanwhile
      }
      if (!Crypto.sha256(data).hex().equals(key.substring(PREFIX.length()))) {
        throw new IntegrityException("deletion record " + key + " does not match its name (damaged); delete it after"
            + " a prune completes");
      }
      DeletionRecord r = Json.read(data, DeletionRecord.class, "deletion record " + key);
      try {
        for (String p : r.packs()) {
          out.add(Id.parse(p));
        }
      } catch (RuntimeException e) {
        throw new IntegrityException("deletion record " + key + " is malformed: " + e.getMessage(), e);
      }
    }
    return out;
  }
}
