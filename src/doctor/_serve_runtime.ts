import {
  chooseRuntime,
  type ProgramOrigin,
  type RuntimeHostFacts,
  type RuntimeName,
} from "../runtime/mod.ts";

/** The runtime `serve` would use here, or why none can run and what to do. */
export type DoctorRuntimeChoice =
  | { runtime: RuntimeName; path: string; reason: string }
  | { runtime: undefined; reason: string; remedy: string };

/**
 * The runtime `serve` would choose on a host with these facts, by serve's own
 * {@linkcode chooseRuntime}, told as a verdict: which one and why, or why none can run (the
 * reason and remedy serve refuses with).
 *
 * @example
 * ```ts
 * import { doctorRuntimeChoice } from "./_serve_runtime.ts";
 * doctorRuntimeChoice({ uid: 0, layout: "hybrid", cgroupDelegated: true, installed: {} }, { kind: "other" });
 * // { runtime: undefined, reason: "youki is not installed, ...", remedy: "Install youki ..." }
 * ```
 */
export function doctorRuntimeChoice(
  facts: RuntimeHostFacts,
  origin: ProgramOrigin,
): DoctorRuntimeChoice {
  const choice = chooseRuntime(facts, () => origin);
  if (choice.name === undefined) {
    return { runtime: undefined, reason: choice.reason, remedy: choice.remedy };
  }
  return {
    runtime: choice.name,
    path: choice.path,
    reason: choice.note ??
      (facts.uid !== 0 && facts.layout !== "unified"
        ? "youki runs rootless in your delegated cgroup subtree"
        : "youki is the default runtime and can run here"),
  };
}
