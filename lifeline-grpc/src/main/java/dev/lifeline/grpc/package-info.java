/** Lifeline module grpc. */
package dev.lifeline.grpc;
