package dev.lifeline.examples.storage.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void roundTripsFlatObjectsWithEscapes() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("s", "quote \" backslash \\ newline \n tab \t ctl \u0001 é ✓");
    m.put("n", new BigDecimal("-12.5e3"));
    m.put("i", 42L);
    m.put("t", true);
    m.put("f", false);
    m.put("z", null);
    String json = Json.write(m);
    Map<String, Object> back = Json.parseObject(json);
    assertThat(back.get("s")).isEqualTo(m.get("s"));
    assertThat((BigDecimal) back.get("n")).isEqualByComparingTo("-12.5e3");
    assertThat((BigDecimal) back.get("i")).isEqualByComparingTo("42");
    assertThat(back.get("t")).isEqualTo(true);
    assertThat(back.get("f")).isEqualTo(false);
    assertThat(back).containsKey("z");
    assertThat(back.get("z")).isNull();
  }

  @Test
  void readsWhitespaceUnicodeEscapesAndEmptyObjects() {
    assertThat(Json.parseObject(" {\n\t\"a\" : \"\\u00e9\\/\" } ")).containsEntry("a", "é/");
    assertThat(Json.parseObject("{}")).isEmpty();
  }

  @Test
  void rejectsTruncatedInput() {
    for (String bad :
        new String[] {
          "", "{", "{\"a\"", "{\"a\":", "{\"a\":\"x", "{\"a\":1", "{\"a\":1,", "{\"a\":tr"
        }) {
      assertThatThrownBy(() -> Json.parseObject(bad))
          .as(bad)
          .isInstanceOf(Json.MalformedJsonException.class)
          .hasMessageStartingWith("malformed JSON at offset");
    }
  }

  @Test
  void rejectsWhatIsNotStrictFlatJson() {
    for (String bad :
        new String[] {
          "{\"a\":1} x",
          "{'a':1}",
          "{\"a\":01}",
          "{\"a\":1,}",
          "{\"a\":{\"b\":1}}",
          "{\"a\":[1]}",
          "{\"a\":1,\"a\":2}",
          "{\"a\":\"\\x\"}",
          "{\"a\":\"raw\nnewline\"}",
          "{\"a\":-}",
          "{\"a\":1.}",
          "{\"a\":nul}",
          "[]",
          "<html>"
        }) {
      assertThatThrownBy(() -> Json.parseObject(bad))
          .as(bad)
          .isInstanceOf(Json.MalformedJsonException.class);
    }
    assertThatThrownBy(() -> Json.parseObject(null))
        .isInstanceOf(Json.MalformedJsonException.class);
  }

  @Test
  void refusesToWriteUnsupportedValues() {
    assertThatThrownBy(() -> Json.write(Map.of("a", new Object())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("a: ");
    assertThatThrownBy(() -> Json.write(Map.of("d", Double.NaN)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
