/**
 * Driving an OCI runtime for the gateway: which runtime can run on this host (and the host
 * facts that decide it), whether the container's uid reaches what it mounts, and the launch
 * itself.
 *
 * @example
 * ```ts
 * import { chooseRuntime, gatherRuntimeFacts } from "./runtime/mod.ts";
 * const choice = chooseRuntime(await gatherRuntimeFacts(processEnv, effectiveUid()));
 * ```
 *
 * @module
 */
export {
  chooseRuntime,
  gatherRuntimeFacts,
  resolveRuntime,
  type RuntimeChoice,
  type RuntimeHostFacts,
  runtimeNameForPath,
  youkiBlocker,
} from "./runtime_choice.ts";
export {
  canReach,
  type PathStep,
  pathSteps,
  type PathUse,
  type ReachBlock,
  reachBlock,
  type Reacher,
} from "./mount_reach.ts";
export { containerMountSources, type MountSource, unreachableMount } from "./mount_preflight.ts";
export { callerGroups, type CgroupFacts, readCgroupFacts } from "./cgroup_facts.ts";
export {
  INSTALL_HINTS,
  type OciRuntime,
  RUNTIME_NAMES,
  runtimeEnv,
  type RuntimeName,
} from "./oci_runtime.ts";
export { parseCount, parseCpus, parseSize } from "./resource_limits.ts";
export { readServedRecord } from "./served_record.ts";
export {
  readUserNamespaceFacts,
  type UserNamespaceFacts,
  userNamespacesAllowed,
} from "./user_namespaces.ts";
