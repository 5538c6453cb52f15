package dev.drkit.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LogTextTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "plain text stays                  | orders                  | orders",
      "newline                           | `a\nb`                  | a\\nb",
      "carriage return and tab           | `a\r\tb`                | a\\r\\tb",
      "escape sequence                   | `\u001b[31mred`         | \\u001B[31mred",
      "NUL and DEL                       | `\u0000\u007f`          | \\u0000\\u007F",
      "next line (C1 control)            | `a\u0085b`              | a\\u0085b",
      "line and paragraph separators     | `a\u2028b\u2029c`       | a\\u2028b\\u2029c",
      "bidirectional override            | `admin\u202etxt.exe`    | admin\\u202Etxt.exe",
      "zero-width space and BOM          | `a\u200bb\ufeff`        | a\\u200Bb\\uFEFF",
      "letters of any script stay        | `Zürich 東京 😀`          | `Zürich 東京 😀`",
      "a backslash is doubled            | `a\\nb`                 | a\\\\nb",
  })
  void printableEscapesWhatCouldBreakOrForgeALine(String what, String text, String expected) {
    assertThat(LogText.printable(text, Integer.MAX_VALUE)).isEqualTo(expected);
  }

  @Test
  void oneLineKeepsBackslashesButEscapesLineBreaks() {
    assertThat(LogText.oneLine("C:\\backups\nFORGED")).isEqualTo("C:\\backups\\nFORGED");
    String same = "nothing to escape";
    assertThat(LogText.oneLine(same)).isSameAs(same);
  }

  @Test
  void printableCutsLongTextAndSaysHowMuchIsLeftOut() {
    assertThat(LogText.printable("x".repeat(300), 256)).isEqualTo("x".repeat(256) + "...(44 more chars)");
    assertThat(LogText.printable("\n".repeat(300), 10)).isEqualTo("\\n".repeat(5) + "...(295 more chars)");
    assertThat(LogText.printable("short", 256)).isEqualTo("short");
    assertThatThrownBy(() -> LogText.printable("x", -1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("max");
  }

  @Test
  void noRandomInputYieldsALineBreakOrControlCharacter() {
    Random random = new Random(20261206);
    for (int n = 0; n < 2000; n++) {
      StringBuilder s = new StringBuilder();
      for (int i = random.nextInt(40); i > 0; i--) {
        s.appendCodePoint(random.nextInt(4) == 0 ? random.nextInt(0x30) : random.nextInt(0x110000));
      }
      String out = LogText.printable(s.toString(), Integer.MAX_VALUE);
      assertThat(out.codePoints()).as("escaped %s", out).noneMatch(cp -> Character.isISOControl(cp)
          || Character.getType(cp) == Character.FORMAT || Character.getType(cp) == Character.LINE_SEPARATOR
          || Character.getType(cp) == Character.PARAGRAPH_SEPARATOR || Character.getType(cp) == Character.SURROGATE);
      assertThat(LogText.oneLine(s.toString())).doesNotContain("\n", "\r", "\u2028", "\u2029", "\u0085");
    }
  }
}
