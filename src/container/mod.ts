/**
 * The gateway container as an OCI runtime runs it, built from the contract
 * (`../contract/mod.ts`): the OCI `config.json` (mounts, user namespace, limits, seccomp),
 * the seccomp profile, and the bundle staged for one launch.
 *
 * @example
 * ```ts
 * import { maskedEqOrder, seccompProfile } from "./mod.ts";
 * seccompProfile("default", maskedEqOrder("youki")).defaultAction; // "SCMP_ACT_ERRNO"
 * ```
 *
 * @module
 */
export {
  buildOciConfig,
  type ContainerResources,
  type HardLimits,
  type OciConfig,
  ociResources,
  type RlimitType,
} from "./oci_config.ts";
export {
  maskedEqOrder,
  SECCOMP_MODES,
  type SeccompMode,
  type SeccompProfile,
  seccompProfile,
} from "./seccomp_profile.ts";
export {
  denoDirTemplateFresh,
  type DenoDirTemplateOptions,
  EMITTED_DIR,
  ensureDenoDirTemplate,
  type HeldDenoDirTemplate,
  removeDeadDenoDirTemplates,
  stageDenoDir,
} from "./gateway_deno_dir.ts";
export { bundlePaths, removeBundle, stageBundle } from "./stage_bundle.ts";
