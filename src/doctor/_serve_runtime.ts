import {
  chooseRuntime,
  INSTALL_HINTS,
  type RuntimeHostFacts,
  type RuntimeName,
  youkiBlocker,
} from "../runtime/mod.ts";

/** The runtime `serve` would use here, or why none can run and what to do. */
export type DoctorRuntimeChoice =
  | { runtime: RuntimeName; path: string; reason: string }
  | { runtime: undefined; reason: string; remedy: string };

/**
 * The runtime `serve` would choose on a host with these facts, by serve's own
 * {@linkcode chooseRuntime}, told as a verdict: which one and why, or why none can run.
 *
 * @example
 * ```ts
 * import { doctorRuntimeChoice } from "./_serve_runtime.ts";
 * doctorRuntimeChoice({ uid: 0, layout: "hybrid", cgroupDelegated: false, installed: {} });
 * // { runtime: undefined, reason: "youki is not installed ...", remedy: "Install youki ..." }
 * ```
 */
export function doctorRuntimeChoice(facts: RuntimeHostFacts): DoctorRuntimeChoice {
  const choice = chooseRuntime(facts);
  const blocker = choice.name === "youki"
    ? (choice.path === undefined ? "youki is not installed" : youkiBlocker(facts))
    : undefined;
  if (choice.path === undefined || blocker !== undefined) {
    return {
      runtime: undefined,
      reason: `${blocker}, and no fallback runtime (runc, crun) is installed`,
      remedy: choice.path === undefined
        ? INSTALL_HINTS.youki.replace(/, or choose .*$/, "")
        : "Install runc with `apt-get install runc`, or delegate a cgroup subtree to this user " +
          "(see the README)",
    };
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
