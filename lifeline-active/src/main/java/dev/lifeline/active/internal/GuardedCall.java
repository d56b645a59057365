package dev.lifeline.active.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;

/**
 * An exclusive call as its handler sees it: once the interceptor has closed it, the handler's later
 * writes and close are dropped instead of failing in the handler, and all writes are serialized
 * because the interceptor and a handler thread may close concurrently. Thread-safe.
 */
public final class GuardedCall<ReqT, RespT>
    extends ForwardingServerCall.SimpleForwardingServerCall<ReqT, RespT> {

  @GuardedBy("this")
  private boolean closedByInterceptor;

  /** Wraps {@code call}. */
  public GuardedCall(ServerCall<ReqT, RespT> call) {
    super(call);
  }

  /** Closes the call unless the interceptor closed it already; the handler's writes stop. */
  public synchronized void closeForInterceptor(Status status, Metadata trailers) {
    if (!closedByInterceptor) {
      closedByInterceptor = true;
      super.close(status, trailers);
    }
  }

  @Override
  public synchronized void sendHeaders(Metadata headers) {
    if (!closedByInterceptor) {
      super.sendHeaders(headers);
    }
  }

  @Override
  public synchronized void sendMessage(RespT message) {
    if (!closedByInterceptor) {
      super.sendMessage(message);
    }
  }

  @Override
  public synchronized void close(Status status, Metadata trailers) {
    if (!closedByInterceptor) {
      super.close(status, trailers);
    }
  }

  @Override
  public synchronized boolean isReady() {
    return !closedByInterceptor && super.isReady();
  }

  @Override
  public synchronized boolean isCancelled() {
    return closedByInterceptor || super.isCancelled();
  }
}
