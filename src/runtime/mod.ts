/**
 * Driving an OCI runtime for the gateway: which runtime can run on this host (and the host
 * facts that decide it), whether the container's uid reaches what it mounts, and the launch
 * itself.
 *
 * @example
 * ```ts
 * import { effectiveUid, processEnv } from "../host/mod.ts";
 * import { chooseRuntime, gatherRuntimeFacts, programOrigin } from "./mod.ts";
 * const facts = await gatherRuntimeFacts(processEnv, effectiveUid());
 * const choice = chooseRuntime(facts, programOrigin);
 * ```
 *
 * @module
 */
export { callerGroups, type CgroupFacts, readCgroupFacts } from "./cgroup_facts.ts";
export {
  checkAddressFree,
  clientAddress,
  gatewayRuntimeDir,
  launchGateway,
} from "./launch_gateway.ts";
export { containerMountSources, type MountSource, unreachableMount } from "./mount_preflight.ts";
export {
  canReach,
  type PathStep,
  pathSteps,
  type PathUse,
  type ReachBlock,
  reachBlock,
  type Reacher,
} from "./mount_reach.ts";
export {
  installCommands,
  type OciRuntime,
  type ProgramOrigin,
  programOrigin,
  RUNTIME_NAMES,
  runtimeEnv,
  type RuntimeName,
} from "./oci_runtime.ts";
export {
  type LimitDecision,
  type LimitPlan,
  parseCount,
  parseCpus,
  parseSize,
  planLimits,
  skippedLimitsWarning,
} from "./resource_limits.ts";
export {
  chooseRuntime,
  gatherRuntimeFacts,
  READ_ONLY_CGROUPS,
  resolveRuntime,
  runtimeBlocker,
  type RuntimeChoice,
  type RuntimeHostFacts,
  runtimeNameForPath,
} from "./runtime_choice.ts";
export {
  readUserNamespaceFacts,
  type UserNamespaceFacts,
  userNamespacesAllowed,
} from "./user_namespaces.ts";
export {
  type LaunchRecord,
  readLaunchRecord,
  removeLaunchRecord,
  writeLaunchRecord,
} from "./launch_record.ts";
