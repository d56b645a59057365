/** Implementation details of lifeline-grpc; not API, may change without notice. */
package dev.lifeline.grpc.internal;
