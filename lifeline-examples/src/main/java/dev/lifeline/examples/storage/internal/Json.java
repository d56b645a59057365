package dev.lifeline.examples.storage.internal;

import java.math.BigDecimal;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A strict reader and writer for flat JSON objects (RFC 8259) whose values are strings, numbers,
 * booleans or null: all the watermark API needs. Nested objects and arrays are rejected rather than
 * half-read, as are duplicate keys, trailing data, truncated input, leading zeros, raw control
 * characters and invalid escapes. Failures throw {@link MalformedJsonException} naming the offset.
 *
 * <p>Stateless and thread-safe.
 */
public final class Json {

  private Json() {}

  /** Malformed or unsupported JSON; the message names the character offset. */
  public static final class MalformedJsonException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    MalformedJsonException(String message) {
      super(message);
    }
  }

  /**
   * Parses one flat object. Numbers become {@link BigDecimal}.
   *
   * @throws MalformedJsonException if {@code text} is not exactly one flat JSON object
   */
  public static Map<String, Object> parseObject(String text) {
    Reader r = new Reader(text);
    r.skipWhitespace();
    Map<String, Object> out = r.object();
    r.skipWhitespace();
    if (r.pos != text.length()) {
      throw r.error("trailing data after the object");
    }
    return Collections.unmodifiableMap(out);
  }

  /**
   * Writes a flat object; values must be {@link String}, {@link Number}, {@link Boolean} or null.
   *
   * @throws IllegalArgumentException for any other value type or a non-finite number
   */
  public static String write(Map<String, ?> object) {
    StringBuilder sb = new StringBuilder("{");
    boolean first = true;
    for (Map.Entry<String, ?> e : object.entrySet()) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      writeString(sb, e.getKey());
      sb.append(':');
      Object v = e.getValue();
      if (v == null) {
        sb.append("null");
      } else if (v instanceof String s) {
        writeString(sb, s);
      } else if (v instanceof Boolean b) {
        sb.append(b);
      } else if (v instanceof Number n) {
        if ((n instanceof Double d && !Double.isFinite(d))
            || (n instanceof Float f && !Float.isFinite(f))) {
          throw new IllegalArgumentException(e.getKey() + ": " + n + " (expected: finite)");
        }
        sb.append(n instanceof BigDecimal bd ? bd.toPlainString() : n.toString());
      } else {
        throw new IllegalArgumentException(
            e.getKey() + ": " + v.getClass().getName() + " (expected: string, number, boolean)");
      }
    }
    return sb.append('}').toString();
  }

  private static void writeString(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  private static final class Reader {
    final String s;
    int pos;

    Reader(String s) {
      if (s == null) {
        throw new MalformedJsonException("no JSON: null input");
      }
      this.s = s;
    }

    MalformedJsonException error(String what) {
      return new MalformedJsonException("malformed JSON at offset " + pos + ": " + what);
    }

    void skipWhitespace() {
      while (pos < s.length()) {
        char c = s.charAt(pos);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
          return;
        }
        pos++;
      }
    }

    char peek() {
      if (pos >= s.length()) {
        throw error("unexpected end of input (truncated?)");
      }
      return s.charAt(pos);
    }

    void expect(char c) {
      if (peek() != c) {
        throw error("expected '" + c + "' but found '" + s.charAt(pos) + "'");
      }
      pos++;
    }

    Map<String, Object> object() {
      expect('{');
      Map<String, Object> out = new LinkedHashMap<>();
      skipWhitespace();
      if (peek() == '}') {
        pos++;
        return out;
      }
      while (true) {
        skipWhitespace();
        int keyAt = pos;
        String key = string();
        skipWhitespace();
        expect(':');
        skipWhitespace();
        Object value = value();
        if (out.containsKey(key)) {
          pos = keyAt;
          throw error("duplicate key '" + key + "'");
        }
        out.put(key, value);
        skipWhitespace();
        char c = peek();
        pos++;
        if (c == '}') {
          return out;
        }
        if (c != ',') {
          pos--;
          throw error("expected ',' or '}' but found '" + c + "'");
        }
      }
    }

    Object value() {
      char c = peek();
      if (c == '"') {
        return string();
      }
      if (c == '{' || c == '[') {
        throw error("nested " + (c == '{' ? "objects" : "arrays") + " are not supported");
      }
      if (c == 't') {
        literal("true");
        return Boolean.TRUE;
      }
      if (c == 'f') {
        literal("false");
        return Boolean.FALSE;
      }
      if (c == 'n') {
        literal("null");
        return null;
      }
      if (c == '-' || (c >= '0' && c <= '9')) {
        return number();
      }
      throw error("unexpected character '" + c + "'");
    }

    void literal(String word) {
      if (!s.startsWith(word, pos)) {
        throw error("expected " + word);
      }
      pos += word.length();
    }

    BigDecimal number() {
      int start = pos;
      if (peek() == '-') {
        pos++;
      }
      if (peek() == '0') {
        pos++;
        if (pos < s.length() && Character.isDigit(s.charAt(pos))) {
          throw error("leading zero");
        }
      } else {
        digits();
      }
      if (pos < s.length() && s.charAt(pos) == '.') {
        pos++;
        digits();
      }
      if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
        pos++;
        if (peek() == '+' || peek() == '-') {
          pos++;
        }
        digits();
      }
      return new BigDecimal(s.substring(start, pos));
    }

    void digits() {
      int start = pos;
      while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
        pos++;
      }
      if (pos == start) {
        throw error(pos >= s.length() ? "unexpected end of input in a number" : "expected a digit");
      }
    }

    String string() {
      expect('"');
      StringBuilder sb = new StringBuilder();
      while (true) {
        if (pos >= s.length()) {
          throw error("unterminated string (truncated?)");
        }
        char c = s.charAt(pos++);
        if (c == '"') {
          return sb.toString();
        }
        if (c < 0x20) {
          pos--;
          throw error("raw control character in a string");
        }
        if (c != '\\') {
          sb.append(c);
          continue;
        }
        char e = peek();
        pos++;
        switch (e) {
          case '"' -> sb.append('"');
          case '\\' -> sb.append('\\');
          case '/' -> sb.append('/');
          case 'b' -> sb.append('\b');
          case 'f' -> sb.append('\f');
          case 'n' -> sb.append('\n');
          case 'r' -> sb.append('\r');
          case 't' -> sb.append('\t');
          case 'u' -> {
            if (pos + 4 > s.length()) {
              throw error("truncated \\u escape");
            }
            String hex = s.substring(pos, pos + 4);
            if (!hex.matches("[0-9a-fA-F]{4}")) {
              throw error("invalid \\u escape '" + hex + "'");
            }
            sb.append((char) Integer.parseInt(hex, 16));
            pos += 4;
          }
          default -> {
            pos--;
            throw error("invalid escape '\\" + e + "'");
          }
        }
      }
    }
  }
}
