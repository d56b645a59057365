/**
 * The machinery behind {@link dev.lifeline.active.ActiveMember} and {@link
 * dev.lifeline.active.ExclusiveInterceptor}. Not API; may change without notice.
 *
 * <p>A member ({@code DefaultActiveMember}) is split along what each part decides: {@code
 * ElectionLoop} talks to the {@link dev.lifeline.active.LeaseStore} (acquire, renew, watch, back
 * off); {@code ElectionRules} decides, as pure functions, what each store answer and watch event
 * means and when to try again; {@code ElectionState} applies those decisions to the role, the
 * tenure and the leases under the member's lock; {@code HeldCalls} holds exclusive calls through an
 * election; {@code RoleEvents} and {@code MemberMetrics} report. The interceptor's per-call
 * listeners live here too: {@link dev.lifeline.active.internal.ExclusiveListener} runs an admitted
 * call under its tenure, {@link dev.lifeline.active.internal.HeldListener} holds one through an
 * election, and {@link dev.lifeline.active.internal.GuardedCall} protects the call from a handler
 * that writes after the interceptor closed it.
 */
@NullMarked
package dev.lifeline.active.internal;

import org.jspecify.annotations.NullMarked;
