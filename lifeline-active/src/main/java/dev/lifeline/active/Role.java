package dev.lifeline.active;

/** The role of one member of a single-active group. */
public enum Role {
  /** Holds a live lease and serves exclusive calls. */
  ACTIVE,
  /** Serves shared calls only and answers exclusive ones with NOT_ACTIVE. */
  STANDBY
}
