package dev.lifeline.active.nats.internal;

import dev.lifeline.active.GroupId;
import dev.lifeline.active.Lease;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Encodes a lease as the value of its KV entry: {@code key=value} lines. The token of a tenure is
 * the revision of the entry written at acquisition, which that write cannot know; it is stored as 0
 * there and read back as the entry's own revision. Thread-safe: stateless.
 */
public final class LeaseCodec {

  private LeaseCodec() {}

  /** The KV key of a group. */
  public static String key(GroupId group) {
    return group.service() + "." + group.group();
  }

  /** The value written for a holder; {@code token} 0 marks an acquisition. */
  public static byte[] encode(
      String holderId,
      String address,
      long token,
      Instant acquiredAt,
      Instant renewedAt,
      Duration ttl) {
    String s =
        "holder="
            + holderId
            + "\naddress="
            + address
            + "\ntoken="
            + token
            + "\nacquiredAt="
            + acquiredAt
            + "\nrenewedAt="
            + renewedAt
            + "\nttlMillis="
            + ttl.toMillis()
            + "\n";
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Decodes an entry's value.
   *
   * @throws IllegalArgumentException if the value is not a lease written by this codec
   */
  public static Lease decode(GroupId group, byte[] value, long revision) {
    Map<String, String> m = new HashMap<>();
    for (String line : new String(value, StandardCharsets.UTF_8).split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        m.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    try {
      long token = Long.parseLong(m.get("token"));
      return new Lease(
          group,
          m.get("holder"),
          m.getOrDefault("address", ""),
          token == 0 ? revision : token,
          revision,
          Instant.parse(m.get("acquiredAt")),
          Instant.parse(m.get("renewedAt")),
          Duration.ofMillis(Long.parseLong(m.get("ttlMillis"))));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "lease value of " + group + " at revision " + revision + " is malformed", e);
    }
  }
}
