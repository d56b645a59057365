package dev.lifeline.grpc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.core.CallReport;
import dev.lifeline.core.FailureKind;
import dev.lifeline.core.StopReason;
import dev.lifeline.core.spi.AttemptOutcome;
import dev.lifeline.grpc.GrpcFailures;
import dev.lifeline.grpc.LifelineCallException;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.Status;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link EngineDecisions}, rule by rule, as tables. */
class EngineDecisionsTest {

  private static final Status REFUSED =
      Status.UNAVAILABLE
          .withDescription("io exception")
          .withCause(new ConnectException("Connection refused"));
  private static final Status NOT_ACTIVE =
      Status.UNAVAILABLE.withDescription(GrpcFailures.NOT_ACTIVE_PREFIX + ": standby");

  private static Metadata pushback(String ms) {
    Metadata m = new Metadata();
    if (ms != null) {
      m.put(GrpcFailures.RETRY_PUSHBACK_MS, ms);
    }
    return m;
  }

  static Stream<Arguments> outcomes() {
    Status unavailable = Status.UNAVAILABLE.withDescription("reset");
    Status cancelled = Status.CANCELLED.withDescription("stream reset by server");
    return Stream.of(
        // why, status, pushback ms, by caller, local, never sent, redirected, committed,
        // kind, not sent, local, redirect, stream started, pushback
        row("a plain transport failure", unavailable, null, 0, FailureKind.UNAVAILABLE, ""),
        row(
            "a server reset nobody asked for is unavailable",
            cancelled,
            null,
            0,
            FailureKind.UNAVAILABLE,
            ""),
        row(
            "a cancel by the caller is the caller's",
            cancelled,
            null,
            BY_CALLER,
            FailureKind.CANCELLED,
            ""),
        row(
            "the caller's cancel wins over any status",
            unavailable,
            null,
            BY_CALLER,
            FailureKind.CANCELLED,
            ""),
        row(
            "a failure before anything existed is local, which implies not sent",
            unavailable,
            null,
            LOCAL,
            FailureKind.UNAVAILABLE,
            "local notSent"),
        row(
            "an attempt that never left is not sent",
            unavailable,
            null,
            NEVER_SENT,
            FailureKind.UNAVAILABLE,
            "notSent"),
        row(
            "a refused connection proves it was never processed",
            REFUSED,
            null,
            0,
            FailureKind.UNAVAILABLE,
            "notSent"),
        row(
            "a standby's answer proves it was never processed",
            NOT_ACTIVE,
            null,
            0,
            FailureKind.NOT_ACTIVE,
            "notSent"),
        row(
            "a failover hop is marked as a redirect",
            NOT_ACTIVE,
            null,
            REDIRECTED,
            FailureKind.NOT_ACTIVE,
            "notSent redirect"),
        row(
            "a stream the caller has seen is never retried",
            unavailable,
            null,
            COMMITTED,
            FailureKind.UNAVAILABLE,
            "streamStarted"),
        row(
            "the server's pushback is kept",
            Status.RESOURCE_EXHAUSTED,
            "250",
            0,
            FailureKind.OVERLOADED,
            "pushback=250"),
        row(
            "a malformed pushback means do not retry",
            Status.RESOURCE_EXHAUSTED,
            "soon",
            0,
            FailureKind.OVERLOADED,
            "pushback=-1"),
        row("a deadline is a timeout", Status.DEADLINE_EXCEEDED, null, 0, FailureKind.TIMEOUT, ""),
        // Regression (issue 16): a SIGKILLed member's connection closed under a call, Netty
        // reported UNKNOWN "channel closed", and an idempotent write failed instead of moving on.
        row(
            "a connection that closed under the call without an answer is unavailable",
            Status.UNKNOWN.withDescription("channel closed"),
            null,
            0,
            FailureKind.UNAVAILABLE,
            ""),
        row(
            "an UNKNOWN the server itself answered is the server's error",
            Status.UNKNOWN.withDescription("handler threw"),
            null,
            SERVER_ANSWERED,
            FailureKind.SERVER_ERROR,
            ""),
        row(
            "a bad argument is the caller's error",
            Status.INVALID_ARGUMENT,
            null,
            0,
            FailureKind.CALLER_ERROR,
            ""));
  }

  private static final int BY_CALLER = 1;
  private static final int LOCAL = 2;
  private static final int NEVER_SENT = 4;
  private static final int REDIRECTED = 8;
  private static final int COMMITTED = 16;
  private static final int SERVER_ANSWERED = 32;

  private static Arguments row(
      String why, Status status, String pushbackMs, int flags, FailureKind kind, String marks) {
    return Arguments.of(why, status, pushbackMs, flags, kind, marks);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("outcomes")
  void anAttemptsEndIsClassifiedForTheRetryRule(
      String why, Status status, String pushbackMs, int flags, FailureKind kind, String marks) {
    AttemptOutcome o =
        EngineDecisions.outcome(
            status,
            pushback(pushbackMs),
            (flags & BY_CALLER) != 0,
            (flags & LOCAL) != 0,
            (flags & NEVER_SENT) != 0,
            (flags & REDIRECTED) != 0,
            (flags & COMMITTED) != 0,
            (flags & SERVER_ANSWERED) != 0);
    List<String> m = List.of(marks.split(" "));
    assertThat(o.kind()).isEqualTo(kind);
    assertThat(o.isLocal()).as("local").isEqualTo(m.contains("local"));
    assertThat(o.isProvablyNotSent()).as("not sent").isEqualTo(m.contains("notSent"));
    assertThat(o.isRedirected()).as("redirect").isEqualTo(m.contains("redirect"));
    assertThat(o.isStreamStarted()).as("stream started").isEqualTo(m.contains("streamStarted"));
    assertThat(o.pushbackDelay().map(Duration::toMillis).orElse(null))
        .as("pushback")
        .isEqualTo(
            m.stream()
                .filter(s -> s.startsWith("pushback="))
                .map(s -> Long.parseLong(s.substring("pushback=".length())))
                .findFirst()
                .orElse(null));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # why                                        | code              | stop reason
          a passed deadline stops on the deadline      | DEADLINE_EXCEEDED | DEADLINE
          a caller's cancel stops as cancelled         | CANCELLED         | CANCELLED
          anything else the caller sent is a cancel    | UNAVAILABLE       | CANCELLED
          """)
  void aCancelBetweenAttemptsStopsForTheRightReason(
      String why, Status.Code code, StopReason reason) {
    assertThat(EngineDecisions.cancelStopReason(Status.fromCode(code))).isEqualTo(reason);
  }

  private static CallReport report(StopReason reason) {
    return new CallReport("svc", "target", "svc/M", List.of(), Duration.ofMillis(5), reason);
  }

  static Stream<Arguments> lastAttempt() {
    Status last = Status.UNAVAILABLE.withDescription("connection reset");
    Status mine = Status.CANCELLED.withDescription("user pressed stop");
    return Stream.of(
        // why, stop reason, caller's cancel, expected code, expected description, has report
        Arguments.of(
            "the caller's cancel is delivered as the caller sent it",
            StopReason.CANCELLED,
            mine,
            Status.Code.CANCELLED,
            "user pressed stop",
            false),
        Arguments.of(
            "a cancel from below is the attempt's own status",
            StopReason.CANCELLED,
            null,
            Status.Code.UNAVAILABLE,
            "connection reset",
            false),
        Arguments.of(
            "exhausted attempts keep the last code and add the report",
            StopReason.ATTEMPTS_EXHAUSTED,
            null,
            Status.Code.UNAVAILABLE,
            "connection reset [svc svc/M failed after 0 attempts",
            true),
        Arguments.of(
            "a write that may have run keeps the last code and adds the report",
            StopReason.NON_RETRYABLE,
            mine,
            Status.Code.UNAVAILABLE,
            "connection reset [svc svc/M failed",
            true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("lastAttempt")
  void theCallerSeesItsOwnCancelOrTheFailureWithItsReport(
      String why,
      StopReason reason,
      Status cancel,
      Status.Code code,
      String description,
      boolean hasReport) {
    Status s =
        EngineDecisions.afterLastAttempt(
            report(reason),
            Status.UNAVAILABLE.withDescription("connection reset"),
            cancel,
            new Metadata());
    assertThat(s.getCode()).isEqualTo(code);
    assertThat(s.getDescription()).startsWith(description);
    assertThat(s.getCause() instanceof LifelineCallException).isEqualTo(hasReport);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # why                                           | stop reason | code              | report
          a deadline between attempts carries the report  | DEADLINE    | DEADLINE_EXCEEDED | true
          a caller's cancel stays the caller's            | CANCELLED   | CANCELLED         | false
          """)
  void aCallEndedBetweenAttemptsReportsOnlyADeadline(
      String why, StopReason reason, Status.Code code, boolean hasReport) {
    Status s = EngineDecisions.cancelledBetweenAttempts(report(reason), Status.fromCode(code));
    assertThat(s.getCode()).isEqualTo(code);
    assertThat(s.getCause() instanceof LifelineCallException).isEqualTo(hasReport);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # why                                      | timeout cause | code
          a Context deadline is a deadline           | true          | DEADLINE_EXCEEDED
          any other Context cancel is a cancel       | false         | CANCELLED
          """)
  void aCancelledContextEndsTheCallWithTheMatchingCode(
      String why, boolean timeout, Status.Code code) {
    Throwable cause = timeout ? new TimeoutException() : new IllegalStateException("shutdown");
    assertThat(EngineDecisions.contextCancelled(cause).getCode()).isEqualTo(code);
  }

  static Stream<Arguments> endings() {
    Status mine = Status.CANCELLED.withDescription("user pressed stop");
    Status expired = Status.DEADLINE_EXCEEDED.withDescription("io.grpc.Context deadline exceeded");
    IllegalStateException thrown = new IllegalStateException("marshaller broke");
    return Stream.of(
        // why, ending, attempt made, expected stop reason, code, description, has report
        Arguments.of(
            "a caller's cancel between attempts is the caller's own status",
            EngineDecisions.cancelledHere(mine),
            true,
            StopReason.CANCELLED,
            Status.Code.CANCELLED,
            "user pressed stop",
            false),
        Arguments.of(
            "a deadline passed between attempts is a failure with its report",
            EngineDecisions.cancelledHere(expired),
            true,
            StopReason.DEADLINE,
            Status.Code.DEADLINE_EXCEEDED,
            "io.grpc.Context deadline exceeded [svc svc/M failed",
            true),
        Arguments.of(
            "a deadline passed before any attempt has no report to show",
            EngineDecisions.cancelledHere(expired),
            false,
            StopReason.DEADLINE,
            Status.Code.DEADLINE_EXCEEDED,
            "io.grpc.Context deadline exceeded",
            false),
        Arguments.of(
            "an open breaker with no other member left is unavailable, with the report",
            EngineDecisions.breakerOpen(),
            true,
            StopReason.BREAKER_OPEN,
            Status.Code.UNAVAILABLE,
            "svc svc/M failed",
            true),
        Arguments.of(
            "a failure on the retry path is internal, with the report",
            EngineDecisions.failedOnRetryPath(null, thrown),
            true,
            StopReason.NON_RETRYABLE,
            Status.Code.INTERNAL,
            "lifeline: attempt failed on the client: java.lang.IllegalStateException",
            true),
        Arguments.of(
            "a caller's cancel that raced a failure on the retry path wins",
            EngineDecisions.failedOnRetryPath(mine, thrown),
            true,
            StopReason.CANCELLED,
            Status.Code.CANCELLED,
            "user pressed stop",
            false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("endings")
  void aCallTheEngineEndsItselfStopsForItsReasonAndShowsTheReportUnlessCancelled(
      String why,
      EngineDecisions.Ending ending,
      boolean attemptMade,
      StopReason reason,
      Status.Code code,
      String description,
      boolean hasReport) {
    assertThat(ending.reason()).isEqualTo(reason);
    Status s = ending.delivered(attemptMade ? report(ending.reason()) : null);
    assertThat(s.getCode()).isEqualTo(code);
    assertThat(s.getDescription()).startsWith(description);
    assertThat(s.getCause() instanceof LifelineCallException).isEqualTo(hasReport);
  }

  /** A clock for deadlines that stands still, so that the time left is exact. */
  private static final class FakeTicker extends Deadline.Ticker {
    @Override
    public long nanoTime() {
      return 0;
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      nullValues = "-",
      textBlock =
          """
          # why                                              | call ms | per attempt ms | expected ms
          neither: the attempt has no deadline               | -       | -              | -
          only the call's: the attempt keeps it              | 500     | -              | 500
          only a per-attempt limit: it bounds the attempt    | -       | 200            | 200
          a shorter per-attempt limit wins                   | 500     | 200            | 200
          a call ending sooner than the limit wins           | 100     | 200            | 100
          """)
  void anAttemptEndsAtTheEarlierOfTheCallsDeadlineAndItsOwnLimit(
      String why, Long callMs, Long perAttemptMs, Long expectedMs) {
    Deadline.Ticker ticker = new FakeTicker();
    Deadline call = callMs == null ? null : Deadline.after(callMs, TimeUnit.MILLISECONDS, ticker);
    Optional<Duration> perAttempt = Optional.ofNullable(perAttemptMs).map(Duration::ofMillis);
    Deadline d = EngineDecisions.attemptDeadline(call, perAttempt, ticker);
    assertThat(d == null ? null : d.timeRemaining(TimeUnit.MILLISECONDS)).isEqualTo(expectedMs);
  }
}
