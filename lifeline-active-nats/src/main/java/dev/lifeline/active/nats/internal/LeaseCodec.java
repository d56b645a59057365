package dev.lifeline.active.nats.internal;

import dev.lifeline.active.GroupId;
import dev.lifeline.active.Lease;
import dev.lifeline.active.LeaseHolder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Encodes a lease as the value of its KV entry: {@code key=value} lines. The token of a tenure is
 * the bucket's epoch plus the revision of the entry written at acquisition, which that write cannot
 * know; it is stored as 0 there and read back from the entry's own revision. Thread-safe:
 * stateless.
 */
public final class LeaseCodec {

  private LeaseCodec() {}

  /** The KV key of a group. */
  public static String key(GroupId group) {
    return group.service() + "." + group.group();
  }

  /**
   * The fencing token of a tenure acquired at {@code revision} of a bucket of epoch {@code epoch}
   * (its creation time in microseconds). A recreated bucket restarts its revisions at 1 but has a
   * later epoch, and a bucket cannot take a million writes per second, so tokens keep growing
   * across the recreation as long as the server's clock did not step back meanwhile.
   */
  public static long token(long epoch, long revision) {
    return Math.addExact(epoch, revision);
  }

  /** The value written for a holder; {@code token} 0 marks an acquisition. */
  public static byte[] encode(
      LeaseHolder holder, long token, Instant acquiredAt, Instant renewedAt, Duration ttl) {
    String s =
        "holder="
            + holder.id()
            + "\nincarnation="
            + holder.incarnation()
            + "\naddress="
            + holder.address()
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
   * Decodes an entry's value. Anything this codec did not write (another tool's value, a truncated
   * or corrupted one) decodes as {@link Lease#unreadable}: a foreign lease that expires by the
   * reader's TTL, so that it can be taken over instead of blocking every election. A value without
   * an incarnation (an older Lifeline) matches no live member.
   */
  public static Lease decode(GroupId group, byte[] value, long epoch, long revision) {
    Map<String, String> m = new HashMap<>();
    for (String line : new String(value, StandardCharsets.UTF_8).split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        m.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    try {
      String holder = m.get("holder");
      long token = Long.parseLong(m.get("token"));
      long ttlMillis = Long.parseLong(m.get("ttlMillis"));
      if (holder == null || holder.isEmpty() || token < 0 || ttlMillis <= 0) {
        return Lease.unreadable(group, epoch, token(epoch, revision), revision);
      }
      return new Lease(
          group,
          new LeaseHolder(holder, m.getOrDefault("incarnation", ""), m.getOrDefault("address", "")),
          epoch,
          token == 0 ? token(epoch, revision) : token,
          revision,
          Instant.parse(m.get("acquiredAt")),
          Instant.parse(m.get("renewedAt")),
          Duration.ofMillis(ttlMillis));
    } catch (RuntimeException e) {
      return Lease.unreadable(group, epoch, token(epoch, revision), revision);
    }
  }
}
