/** Lifeline module active. */
package dev.lifeline.active;
