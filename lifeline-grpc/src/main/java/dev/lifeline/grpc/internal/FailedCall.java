package dev.lifeline.grpc.internal;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.concurrent.Executor;

/**
 * A call that Lifeline fails itself, without sending anything (a closed lease, pool or group, a
 * group without members). Its close is delivered on the call's executor, never inline in {@code
 * start}: a blocking stub waits on that executor and would otherwise never wake up. An engine above
 * learns that the request never left this client.
 *
 * <p>Thread-safe.
 */
public final class FailedCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {

  private final Status status;
  private final Executor executor;

  private FailedCall(Status status, CallOptions options) {
    this.status = status;
    this.executor = Callbacks.executorOf(options);
    CallHandle handle = CallHandle.of(options);
    if (handle != null) {
      handle.markLocalFailure();
    }
  }

  /** A call made with {@code options} that fails with {@code status} once started. */
  public static <ReqT, RespT> ClientCall<ReqT, RespT> of(Status status, CallOptions options) {
    return new FailedCall<>(status, options);
  }

  @Override
  public void start(Listener<RespT> listener, Metadata headers) {
    Callbacks.deliver(executor, () -> listener.onClose(status, new Metadata()));
  }

  @Override
  public void request(int numMessages) {}

  @Override
  public void cancel(String message, Throwable cause) {}

  @Override
  public void halfClose() {}

  @Override
  public void sendMessage(ReqT message) {}
}
