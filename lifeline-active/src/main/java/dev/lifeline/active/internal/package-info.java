/** Implementation details of lifeline-active; not API, may change without notice. */
package dev.lifeline.active.internal;
