/**
 * What this program learns from the host it runs on: the environment (read through an
 * {@linkcode EnvLookup}, so decisions over it stay pure), the effective uid, the openshell
 * directories that follow from both (XDG for users, system locations for root), where the
 * program is installed with the settings its installer left, and start-up trace marks.
 *
 * @example
 * ```ts
 * import { effectiveUid, openshellDir, processEnv } from "./mod.ts";
 * openshellDir("state", processEnv, effectiveUid()); // "/home/ada/.local/state/openshell"
 * const rootEnv = (name: string) => (name === "HOME" ? "/root" : undefined);
 * openshellDir("cache", rootEnv, 0); // "/var/cache/openshell"
 * ```
 *
 * @module
 */
export {
  checkoutDir,
  compiledSetting,
  installedSetting,
  privateExecDir,
  sourceDir,
} from "./install_location.ts";
export { loginName } from "./login_name.ts";
export { traceMark } from "./start_trace.ts";
export { catchStopSignals, onStopSignal, type StopSignal } from "./stop_signals.ts";
export {
  type DirFacts,
  effectiveUid,
  type EnvLookup,
  gatewayHomes,
  namesInGatewayHomes,
  openshellDir,
  privateDirProblem,
  processEnv,
  type RuntimeDirChoice,
  runtimeDirChoice,
} from "./xdg_dirs.ts";
