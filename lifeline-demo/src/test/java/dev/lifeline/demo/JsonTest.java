package dev.lifeline.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.demo.internal.Json;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void writesNestedValuesEscapesStringsAndTurnsNonFiniteIntoNull() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("s", "a\"b\\c\n");
    m.put("i", 3L);
    m.put("d", 1.23456);
    m.put("whole", 2.0);
    m.put("nan", Double.NaN);
    m.put("none", null);
    m.put("list", Arrays.asList(true, "x"));
    m.put("empty", Map.of());

    String json = Json.write(m);

    assertThat(json)
        .contains("\"s\": \"a\\\"b\\\\c\\n\"")
        .contains("\"i\": 3")
        .contains("\"d\": 1.235")
        .contains("\"whole\": 2,")
        .contains("\"nan\": null")
        .contains("\"none\": null")
        .contains("true,")
        .contains("\"empty\": {}");
  }
}
