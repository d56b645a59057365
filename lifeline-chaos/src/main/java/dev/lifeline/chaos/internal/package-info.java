/** The chaos run's machinery: the fenced register, member processes, faults and the report. */
package dev.lifeline.chaos.internal;
