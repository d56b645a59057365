/** Lifeline module demo. */
package dev.lifeline.demo;
