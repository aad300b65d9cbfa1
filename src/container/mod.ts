/**
 * TODO-DOC container
 *
 * @module
 */
export {
  CONTAINER_ENV,
  CONTAINER_PATHS,
  GATEWAY_PORT,
  ROOT_MODE_HOST_ID,
} from "./container_contract.ts";
export { gatewayArgs, gatewayDenoFlags, parseListenAddress } from "./gateway_command_line.ts";
export {
  CHALLENGE_HEADER,
  isChallenge,
  launchProof,
  newChallenge,
  PROOF_HEADER,
} from "./launch_proof.ts";
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
export { bundlePaths, removeBundle, stageBundle } from "./stage_bundle.ts";
