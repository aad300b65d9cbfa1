/**
 * TODO-DOC host
 *
 * @module
 */
export { compiledSetting, installedSetting, privateExecDir } from "./install_location.ts";
export { traceMark } from "./start_trace.ts";
export { effectiveUid, type EnvLookup, openshellDir, processEnv } from "./xdg_dirs.ts";
