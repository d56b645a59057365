/**
 * The {@code lifeline} command line: {@code demo} runs services through faults in one JVM, {@code
 * bench} measures Lifeline against baselines in the same run. The entry point is {@link
 * dev.lifeline.demo.Main}; everything else lives in {@code dev.lifeline.demo.internal}.
 */
@NullMarked
package dev.lifeline.demo;

import org.jspecify.annotations.NullMarked;
