/** Implementation of the demo and the bench scenarios; not an API, may change at any time. */
package dev.lifeline.demo.internal;
