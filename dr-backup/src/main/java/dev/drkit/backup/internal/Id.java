package dev.drkit.backup.internal;

import java.nio.ByteBuffer;
import java.util.HexFormat;

/** A 32-byte identifier (blob, pack, snapshot), compared by value. Immutable. */
public final class Id implements Comparable<Id> {
  /** Length in bytes. */
  public static final int LENGTH = 32;
  private final long a;
  private final long b;
  private final long c;
  private final long d;

  private Id(long a, long b, long c, long d) {
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
  }

  /**
   * @param bytes 32 bytes
   * @param off where they start
   * @return the id
   */
  public static Id of(byte[] bytes, int off) {
    ByteBuffer bb = ByteBuffer.wrap(bytes, off, LENGTH);
    return new Id(bb.getLong(), bb.getLong(), bb.getLong(), bb.getLong());
  }

  /** @param bytes exactly 32 bytes @return the id */
  public static Id of(byte[] bytes) {
    if (bytes.length != LENGTH) {
      throw new IllegalArgumentException("an id has 32 bytes, not " + bytes.length);
    }
    return of(bytes, 0);
  }

  /**
   * @param hex 64 hex digits
   * @return the id
   * @throws IllegalArgumentException when not 64 hex digits
   */
  public static Id parse(String hex) {
    if (hex.length() != 2 * LENGTH) {
      throw new IllegalArgumentException("an id has 64 hex digits: '" + hex + "'");
    }
    return of(HexFormat.of().parseHex(hex));
  }

  /** @return the 32 bytes */
  public byte[] bytes() {
    return ByteBuffer.allocate(LENGTH).putLong(a).putLong(b).putLong(c).putLong(d).array();
  }

  /** @param bb where to write the 32 bytes */
  public void writeTo(ByteBuffer bb) {
    bb.putLong(a).putLong(b).putLong(c).putLong(d);
  }

  /** @return 64 lowercase hex digits */
  public String hex() {
    return HexFormat.of().formatHex(bytes());
  }

  /** @return the first 8 hex digits, for display */
  public String shortHex() {
    return hex().substring(0, 8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Id i && a == i.a && b == i.b && c == i.c && d == i.d;
  }

  @Override
  public int hashCode() {
    return (int) (a ^ (a >>> 32));
  }

  @Override
  public int compareTo(Id o) {
    int r = Long.compareUnsigned(a, o.a);
    if (r == 0) r = Long.compareUnsigned(b, o.b);
    if (r == 0) r = Long.compareUnsigned(c, o.c);
    if (r == 0) r = Long.compareUnsigned(d, o.d);
    return r;
  }

  @Override
  public String toString() {
    return hex();
  }
}
