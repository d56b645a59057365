/**
 * The machinery behind {@link dev.lifeline.http.LifelineHttpClient}: not API, may change in any
 * release.
 */
package dev.lifeline.http.internal;
