/** Lifeline module http. */
package dev.lifeline.http;
