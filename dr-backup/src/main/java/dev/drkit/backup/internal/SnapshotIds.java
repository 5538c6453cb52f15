package dev.drkit.backup.internal;

import dev.drkit.backup.AmbiguousSnapshotIdException;
import dev.drkit.backup.InvalidSnapshotIdException;
import dev.drkit.backup.NoSuchSnapshotException;
import dev.drkit.core.spi.BlobInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What an operator types to name a snapshot: {@code latest}, a full id or a prefix of at least
 * {@value #MIN_PREFIX} hex digits, in either case (ids are written in lower case; one pasted from
 * a ticket may not be). The snapshot files are matched by their names, so a damaged file is
 * found too; reading it is the caller's business.
 */
public final class SnapshotIds {
  /** The fewest hex digits a prefix may have. */
  public static final int MIN_PREFIX = 4;
  /** The most characters of what was typed a message shows. */
  private static final int SHOWN = 80;
  private static final String PREFIX = "snapshots/";

  private SnapshotIds() {}

  /**
   * @param typed what was typed
   * @return whether it asks for the newest snapshot ({@code latest}, in any case)
   */
  public static boolean isLatest(String typed) {
    return typed.equalsIgnoreCase("latest");
  }

  /**
   * @param typed what was typed as an id or prefix (not {@code latest})
   * @return it in lower case
   * @throws InvalidSnapshotIdException when it is not 4 to 64 hex digits (the message shows it escaped)
   */
  public static String normalize(String typed) {
    int n = typed.length();
    for (int i = 0; i < n; i++) {
      char c = typed.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
        throw new InvalidSnapshotIdException(typed, "'" + display(typed) + "' is not a snapshot id: character "
            + (i + 1) + " ('" + display(String.valueOf(c)) + "') is not a hex digit; give an id, a prefix of at least "
            + MIN_PREFIX + " of its hex digits, or 'latest'");
      }
    }
    if (n < MIN_PREFIX) {
      throw new InvalidSnapshotIdException(typed, "snapshot id prefix '" + display(typed) + "' is shorter than "
          + MIN_PREFIX + " hex digits");
    }
    if (n > 2 * Id.LENGTH) {
      throw new InvalidSnapshotIdException(typed, "'" + display(typed) + "' is not a snapshot id: it has " + n
          + " hex digits, an id has " + 2 * Id.LENGTH);
    }
    return typed.toLowerCase(Locale.ROOT);
  }

  /**
   * @param name a snapshot file's name
   * @return whether {@code forget} can name it: 4 to 64 hex digits, in either case
   */
  public static boolean isId(String name) {
    if (name.length() < MIN_PREFIX || name.length() > 2 * Id.LENGTH) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
        return false;
      }
    }
    return true;
  }

  /**
   * The keys of the snapshot files whose names start with {@code prefix}, whatever their case;
   * no file is read.
   *
   * @param ctx the repository
   * @param prefix a {@linkplain #normalize normalized} prefix
   * @return the matching keys, in the store's listing order
   */
  public static List<String> keys(Ctx ctx, String prefix) {
    List<String> out = new ArrayList<>(1);
    for (BlobInfo info : ctx.store().list(PREFIX)) {
      String key = info.key();
      int name = key.lastIndexOf('/') + 1;
      if (key.regionMatches(true, name, prefix, 0, prefix.length())) {
        out.add(key);
      }
    }
    return out;
  }

  /**
   * The one snapshot file a prefix names, by name alone.
   *
   * @param ctx the repository
   * @param typed what was typed (not {@code latest})
   * @return the key of the snapshot file
   * @throws InvalidSnapshotIdException when it is not hex digits
   * @throws NoSuchSnapshotException when no snapshot file's name starts with it
   * @throws AmbiguousSnapshotIdException when several do
   */
  public static String key(Ctx ctx, String typed) {
    List<String> keys = keys(ctx, normalize(typed));
    if (keys.isEmpty()) {
      throw notFound(typed, "");
    }
    if (keys.size() > 1) {
      throw ambiguous(typed, keys.stream().map(SnapshotIds::idOf).toList(), "");
    }
    return keys.get(0);
  }

  /**
   * @param key a snapshot file's key
   * @return its name, the snapshot's id
   */
  public static String idOf(String key) {
    return key.substring(key.lastIndexOf('/') + 1);
  }

  /**
   * @param typed what was typed
   * @param of {@code ""}, or {@code " of "} and the filter that selected the snapshots searched
   * @return the exception saying that nothing matches
   */
  public static NoSuchSnapshotException notFound(String typed, String of) {
    return new NoSuchSnapshotException(typed, "no snapshot" + of + " matches id '" + display(typed) + "'");
  }

  /**
   * @param typed what was typed
   * @param ids the ids of the snapshots it matches
   * @param of {@code ""}, or {@code " of "} and the filter that selected the snapshots searched
   * @return the exception naming them (at most ten)
   */
  public static AmbiguousSnapshotIdException ambiguous(String typed, List<String> ids, String of) {
    List<String> sorted = ids.stream().sorted().toList();
    List<String> shown = sorted.subList(0, Math.min(10, sorted.size()));
    return new AmbiguousSnapshotIdException(typed, sorted, "id prefix '" + display(typed) + "' matches "
        + sorted.size() + " snapshots" + of + " (" + String.join(", ", shown) + (sorted.size() > shown.size()
        ? ", ..." : "") + "); give more of its digits");
  }

  /**
   * @param typed anything typed
   * @return it for a message: printable ASCII as is, a backslash doubled, every other character as
   *     {@code \\uXXXX} (so no terminal control sequence, line break or look-alike letter gets
   *     through), at most {@value #SHOWN} characters and the length of the rest
   */
  public static String display(String typed) {
    StringBuilder sb = new StringBuilder(Math.min(typed.length(), SHOWN) + 8);
    int n = Math.min(typed.length(), SHOWN);
    for (int i = 0; i < n; i++) {
      char c = typed.charAt(i);
      if (c == '\\') {
        sb.append("\\\\");
      } else if (c >= 0x20 && c < 0x7f) {
        sb.append(c);
      } else {
        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      }
    }
    if (typed.length() > n) {
      sb.append("... (").append(typed.length()).append(" characters)");
    }
    return sb.toString();
  }
}
