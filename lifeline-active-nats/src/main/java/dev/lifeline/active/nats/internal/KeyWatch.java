package dev.lifeline.active.nats.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.active.GroupId;
import dev.lifeline.active.Lease;
import dev.lifeline.active.LeaseEvent;
import io.nats.client.JetStreamApiException;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.KeyValueWatchOption;
import io.nats.client.api.KeyValueWatcher;
import java.io.IOException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One registered watch of a group's key and its subscription on the current bucket: set up again on
 * each newly opened bucket, so that it survives connection and bucket replacements. Every event is
 * also recorded in the store's {@link RevisionLog}.
 *
 * <p>Thread-safe: the subscription changes only under this object's monitor.
 */
final class KeyWatch {

  private static final Logger log =
      LoggerFactory.getLogger("dev.lifeline.active.nats.NatsLeaseStore");

  private final GroupId group;
  private final String key;
  private final Consumer<LeaseEvent> listener;
  private final RevisionLog revisions;
  private final Redactor redactor;

  @GuardedBy("this")
  private @Nullable OpenBucket on;

  @GuardedBy("this")
  private @Nullable AutoCloseable subscription;

  @GuardedBy("this")
  private boolean stopped;

  KeyWatch(GroupId group, Consumer<LeaseEvent> listener, RevisionLog revisions, Redactor redactor) {
    this.group = group;
    this.key = LeaseCodec.key(group);
    this.listener = listener;
    this.revisions = revisions;
    this.redactor = redactor;
  }

  /** Subscribes on {@code b} unless already there or stopped; a failure waits for the next call. */
  synchronized void ensureOn(OpenBucket b) {
    if (stopped || on == b) {
      return;
    }
    unsubscribe();
    try {
      var sub = b.kv().watch(key, watcher(b.epoch()), KeyValueWatchOption.UPDATES_ONLY);
      subscription = sub::unsubscribe;
      on = b;
    } catch (IOException | JetStreamApiException | RuntimeException e) {
      log.atDebug()
          .addKeyValue("group", group)
          .addKeyValue("error", redactor.redact(String.valueOf(e.getMessage())))
          .log("watch not set up yet; the next operation tries again");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private KeyValueWatcher watcher(long epoch) {
    return new KeyValueWatcher() {
      @Override
      public void watch(KeyValueEntry e) {
        long rev = e.getRevision();
        if (e.getOperation() == KeyValueOperation.PUT) {
          Lease l = LeaseCodec.decode(group, NatsLeases.valueOf(e), epoch, rev);
          revisions.firstSeen(epoch, key, rev);
          listener.accept(LeaseEvent.written(l));
        } else {
          revisions.sawRevision(epoch, key, rev);
          revisions.forgetSeen(key);
          listener.accept(LeaseEvent.deleted(group, epoch, rev));
        }
      }

      @Override
      public void endOfData() {}
    };
  }

  /** Unsubscribes for good. */
  synchronized void stop() {
    stopped = true;
    unsubscribe();
  }

  @GuardedBy("this")
  private void unsubscribe() {
    AutoCloseable s = subscription;
    if (s != null) {
      try {
        s.close();
      } catch (Exception alreadyClosed) {
        // The connection went first; the subscription went with it.
      }
      subscription = null;
      on = null;
    }
  }
}
