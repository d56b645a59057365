/**
 * The election behind {@link dev.lifeline.active.ActiveMember}: {@code DefaultActiveMember} runs
 * one member's acquire/renew/step-down loop over a {@link dev.lifeline.active.LeaseStore}, on an
 * injected ticker and scheduler, and holds calls through an election. Not API; may change without
 * notice.
 */
package dev.lifeline.active.internal;
