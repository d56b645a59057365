/**
 * The demo and the bench behind {@code ./lifeline}; not API, may change at any time.
 *
 * <p>{@link dev.lifeline.demo.internal.Demo} starts the example services in one JVM, runs a
 * workload through scripted faults and reports per second ({@link
 * dev.lifeline.demo.internal.Timeline}, {@code HtmlReport}). {@link
 * dev.lifeline.demo.internal.Bench} runs one scenario at a time (the gRPC scenarios, {@code
 * FailoverScenario}, {@code HttpScenario}), each measuring Lifeline next to plain baselines under
 * the same {@link dev.lifeline.demo.internal.Load}, and writes a {@link
 * dev.lifeline.demo.internal.BenchReport}. The backends ({@link
 * dev.lifeline.demo.internal.ItemBackend}, {@link dev.lifeline.demo.internal.AiBackend}, {@link
 * dev.lifeline.demo.internal.StorageBackend}, {@link dev.lifeline.demo.internal.OrderGroup}) are
 * real servers on 127.0.0.1 that faults can stop, slow or fail.
 *
 * <p>Each class states its thread safety: backends, load and timeline are shared by worker threads;
 * a bench or demo run is driven by one thread.
 */
@NullMarked
package dev.lifeline.demo.internal;

import org.jspecify.annotations.NullMarked;
