import {
  chooseRuntime,
  readRuntimeHostFacts,
  type RuntimeChoice,
} from "../runtime/runtime_choice.ts";
import type { EnvLookup } from "../xdg_dirs.ts";

/** The runtime `serve` would choose here: the one place `doctor` asks, so both agree. */
export async function serveRuntimeChoice(env: EnvLookup, uid: number): Promise<RuntimeChoice> {
  return chooseRuntime(await readRuntimeHostFacts(env, uid));
}
