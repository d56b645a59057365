/**
 * Implementation of Lifeline's gRPC client support. Not API: anything here may change without
 * notice.
 */
package dev.lifeline.grpc.internal;
