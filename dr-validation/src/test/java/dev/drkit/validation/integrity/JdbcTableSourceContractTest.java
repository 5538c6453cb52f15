package dev.drkit.validation.integrity;

import dev.drkit.core.spi.RangeDigestSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.List;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;

/** The {@link RangeDigestSource} contract over H2 tables keyed by primary key. */
class JdbcTableSourceContractTest extends RangeDigestSourceContract {
  private JdbcDataSource a;
  private JdbcDataSource b;
  private JdbcDataSource c;

  private static JdbcDataSource table(String name) throws Exception {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:contract-" + name + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
    try (Connection conn = ds.getConnection(); Statement st = conn.createStatement()) {
      st.execute("CREATE TABLE items(id INT PRIMARY KEY, name VARCHAR(30), payload VARBINARY(16))");
      try (PreparedStatement ps = conn.prepareStatement("INSERT INTO items VALUES (?, ?, ?)")) {
        for (int i = 0; i < 800; i++) {
          ps.setInt(1, i);
          ps.setString(2, "item " + i);
          ps.setBytes(3, new byte[] {(byte) i, (byte) (i >> 8)});
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
    return ds;
  }

  @BeforeEach
  void tables() throws Exception {
    a = table("a");
    b = table("b");
    c = table("c");
    try (Connection conn = c.getConnection(); Statement st = conn.createStatement()) {
      st.execute("UPDATE items SET payload = X'0000' WHERE id = 513");
      st.execute("DELETE FROM items WHERE id = 42");
      st.execute("INSERT INTO items VALUES (900, 'new', NULL)");
    }
  }

  private static RangeDigestSource side(JdbcDataSource ds) {
    return new MerkleIndex(new JdbcTableEntrySource(ds, "items", List.of("id"), List.of()));
  }

  @Override
  RangeDigestSource base() {
    return side(a);
  }

  @Override
  RangeDigestSource sameAsBase() {
    return side(b);
  }

  @Override
  RangeDigestSource changed() {
    return side(c);
  }

  @Override
  List<String> changedKeys() {
    return List.of("42", "513", "900");
  }
}
