package dev.lifeline.core;

/**
 * Implemented by every exception Lifeline raises for a logical call that failed, in every
 * transport, so callers can read the attempts whichever client they use.
 */
public interface ExhaustedCall {

  /** What happened: service, target, method, attempts, elapsed time and why the call stopped. */
  CallReport report();
}
