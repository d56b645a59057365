/** Lifeline module examples. */
package dev.lifeline.examples;
