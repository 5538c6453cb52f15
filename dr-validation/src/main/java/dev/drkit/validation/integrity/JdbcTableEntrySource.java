package dev.drkit.validation.integrity;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * The rows of a JDBC table as entries keyed by primary key: the key is the key columns' values
 * joined with {@code |}; the fingerprint is every selected column's name and value, each
 * length-prefixed (binary columns as bytes, others as their string form, SQL NULL distinct from
 * an empty value). The scan streams the table with a fetch size of 1000.
 */
public final class JdbcTableEntrySource implements EntrySource {
  /** A plain or schema-qualified SQL identifier; anything else is refused to keep SQL injection out. */
  public static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?");

  private final DataSource dataSource;
  private final String table;
  private final List<String> keyColumns;
  private final List<String> columns;

  /**
   * @param dataSource the database
   * @param table the table, a plain or schema-qualified identifier
   * @param keyColumns the primary key's columns, at least one
   * @param columns the columns compared; empty for all
   * @throws IllegalArgumentException for an identifier that is not plain
   */
  public JdbcTableEntrySource(DataSource dataSource, String table, List<String> keyColumns, List<String> columns) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.table = identifier(table);
    if (keyColumns.isEmpty()) {
      throw new IllegalArgumentException("at least one key column is needed");
    }
    this.keyColumns = keyColumns.stream().map(JdbcTableEntrySource::identifier).toList();
    this.columns = columns.stream().map(JdbcTableEntrySource::identifier).toList();
  }

  private static String identifier(String s) {
    if (s == null || !IDENTIFIER.matcher(s).matches()) {
      throw new IllegalArgumentException("'" + s + "' is not a plain SQL identifier");
    }
    return s;
  }

  @Override
  public long estimatedEntries() throws Exception {
    try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
      return rs.next() ? rs.getLong(1) : -1;
    }
  }

  @Override
  public void forEach(EntryVisitor visitor) throws Exception {
    String select = columns.isEmpty() ? "*" : String.join(", ", columnsWithKeys());
    try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
      st.setFetchSize(1000);
      try (ResultSet rs = st.executeQuery("SELECT " + select + " FROM " + table)) {
        ResultSetMetaData md = rs.getMetaData();
        int n = md.getColumnCount();
        int[] keyIdx = new int[keyColumns.size()];
        for (int k = 0; k < keyIdx.length; k++) {
          keyIdx[k] = rs.findColumn(keyColumns.get(k));
        }
        List<byte[]> names = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          names.add(md.getColumnLabel(i).getBytes(StandardCharsets.UTF_8));
        }
        while (rs.next()) {
          StringBuilder key = new StringBuilder();
          for (int k = 0; k < keyIdx.length; k++) {
            if (k > 0) {
              key.append('|');
            }
            key.append(rs.getString(keyIdx[k]));
          }
          java.io.ByteArrayOutputStream fp = new java.io.ByteArrayOutputStream(64);
          long valueSize = 0;
          for (int i = 1; i <= n; i++) {
            Object v = rs.getObject(i);
            byte[] bytes = v == null ? null : v instanceof byte[] b ? b : rs.getString(i).getBytes(StandardCharsets.UTF_8);
            put(fp, names.get(i - 1));
            if (bytes == null) {
              fp.write(ByteBuffer.allocate(4).putInt(-1).array());
            } else {
              put(fp, bytes);
              valueSize += bytes.length;
            }
          }
          byte[] f = fp.toByteArray();
          visitor.visit(key.toString(), valueSize, () -> f);
        }
      }
    }
  }

  private List<String> columnsWithKeys() {
    List<String> all = new ArrayList<>(keyColumns);
    for (String c : columns) {
      if (!all.contains(c)) {
        all.add(c);
      }
    }
    return all;
  }

  private static void put(java.io.ByteArrayOutputStream out, byte[] b) {
    out.write(ByteBuffer.allocate(4).putInt(b.length).array(), 0, 4);
    out.write(b, 0, b.length);
  }

  @Override
  public String toString() {
    return "table " + table;
  }
}
