package dev.lifeline.active.nats.internal;

import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * What a KV bucket must look like before leases may live in it, as one pure function, and the epoch
 * of a bucket. Thread-safe: stateless.
 */
public final class BucketRules {

  /** The smallest value size limit that still fits a lease value (about 250 bytes). */
  static final int MIN_VALUE_SIZE = 1024;

  private BucketRules() {}

  /**
   * Every setting of the bucket's stream that would break the lease guarantees, each as {@code
   * "setting: value (expected: ...: why)"}; empty if the bucket is fit.
   */
  public static List<String> problems(StreamConfiguration c) {
    List<String> p = new ArrayList<>();
    if (c.getMaxMsgsPerSubject() != 1) {
      p.add("history: " + c.getMaxMsgsPerSubject() + " (expected: 1)");
    }
    Duration maxAge = c.getMaxAge();
    if (maxAge != null && !maxAge.isZero()) {
      p.add(
          "max age: "
              + maxAge
              + " (expected: none: JetStream drops an aged lease without a marker, and a standby"
              + " would create a new one beside a live holder)");
    }
    if (c.getStorageType() != StorageType.File) {
      p.add(
          "storage: "
              + c.getStorageType().name()
              + " (expected: File: a memory bucket loses its revisions on a restart, and tokens"
              + " would go back)");
    }
    if (c.getReplicas() > 1 && c.getAllowDirect()) {
      p.add(
          "direct get: on with "
              + c.getReplicas()
              + " replicas (expected: off: any replica answers a direct get, lagging ones"
              + " included, so a read could show a lease that is long gone)");
    }
    if (c.getMirror() != null || (c.getSources() != null && !c.getSources().isEmpty())) {
      p.add(
          "mirror or sources: set (expected: none: the leases must be written and read in this"
              + " bucket itself)");
    }
    if (c.getDiscardPolicy() == DiscardPolicy.Old && (c.getMaxBytes() > 0 || c.getMaxMsgs() > 0)) {
      p.add(
          "discard: Old with a size or message limit (expected: New: a full bucket would drop"
              + " live leases silently)");
    }
    if (c.getMaximumMessageSize() > 0 && c.getMaximumMessageSize() < MIN_VALUE_SIZE) {
      p.add(
          "max value size: "
              + c.getMaximumMessageSize()
              + " (expected: unlimited or >= "
              + MIN_VALUE_SIZE
              + ")");
    }
    if (c.isAllowMessageTtl()) {
      p.add(
          "per-message TTL: allowed (expected: off: a message TTL would drop a live lease like a"
              + " max age)");
    }
    return p;
  }

  /**
   * Why a replicated bucket is unsafe on this nats-server version, or empty. Before 2.9.21 a
   * replicated stream checked a write's expected revision against the leader's applied state only,
   * before Raft, so two compare-and-set writes in flight with the same expected revision could both
   * win (nats-server#4320): two members could both acquire a released lease. The chaos run saw
   * exactly that on 2.9.10. A single replica is not affected; an unreadable version is not judged.
   */
  public static Optional<String> serverWarning(@Nullable String serverVersion, int replicas) {
    if (replicas <= 1 || serverVersion == null) {
      return Optional.empty();
    }
    Matcher m = VERSION.matcher(serverVersion);
    if (!m.lookingAt()) {
      return Optional.empty();
    }
    int[] v = {
      Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))
    };
    boolean fixed = v[0] > 2 || (v[0] == 2 && (v[1] > 9 || (v[1] == 9 && v[2] >= 21)));
    if (fixed) {
      return Optional.empty();
    }
    return Optional.of(
        "nats-server "
            + serverVersion
            + " with "
            + replicas
            + " replicas: two compare-and-set writes with the same expected revision can both"
            + " succeed (nats-server#4320, fixed in 2.9.21), so two members may both win a"
            + " released or expired lease for up to a heartbeat. Upgrade the servers to 2.9.21 or"
            + " later (2.10+ recommended); fenced writes stay ordered meanwhile.");
  }

  private static final Pattern VERSION = Pattern.compile("v?(\\d+)\\.(\\d+)\\.(\\d+)");

  /** A bucket's epoch: its stream's creation time in microseconds since 1970. */
  public static long epoch(ZonedDateTime created) {
    var i = created.toInstant();
    return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000L), i.getNano() / 1_000);
  }
}
