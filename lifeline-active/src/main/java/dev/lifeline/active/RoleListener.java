package dev.lifeline.active;

/**
 * Told about role changes of one member. Called on the member's scheduler thread (or the thread
 * closing it); must not block.
 */
@FunctionalInterface
public interface RoleListener {

  /**
   * The member's role changed.
   *
   * @param role the new role
   * @param fencingToken the new tenure's token when {@code role} is ACTIVE, otherwise 0
   */
  void onRoleChange(Role role, long fencingToken);
}
