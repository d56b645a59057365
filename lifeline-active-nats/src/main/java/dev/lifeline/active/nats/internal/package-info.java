/** Implementation details of lifeline-active-nats; not API, may change without notice. */
package dev.lifeline.active.nats.internal;
