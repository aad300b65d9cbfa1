import { UserError } from "../user_error.ts";
import type { CgroupLayout } from "./cgroup_path.ts";
import type { RuntimeName } from "./oci_runtime.ts";

/** What is known about a runtime that failed before the gateway answered. */
export interface RuntimeFailure {
  runtime: RuntimeName;
  /** The runtime's exit status. */
  code: number;
  /** The tail of what it wrote on stderr. */
  stderr: string;
  layout: CgroupLayout;
  rootless: boolean;
}

/**
 * Turns a runtime failure into the error the user sees: a known cause with its remedies
 * (rootless youki without a delegated cgroup on a v1/hybrid host), or the runtime's last
 * error line.
 *
 * @example
 * ```ts
 * explainRuntimeFailure({ runtime: "youki", code: 1, stderr: "...", layout: "hybrid", rootless: true });
 * ```
 */
export function explainRuntimeFailure(failure: RuntimeFailure): UserError {
  const lines = failure.stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const errors = lines.filter((l) => /\berror\b/i.test(l));
  const cgroupDenied = lines.some((l) =>
    /cgroup/i.test(l) &&
    /permission denied|os error 13|EACCES|read-only file system|os error 30/i.test(l)
  );
  if (failure.rootless && failure.layout !== "unified" && cgroupDenied) {
    return new UserError(
      `Rootless ${failure.runtime} cannot create the gateway's cgroup: this host uses cgroup v1 (${failure.layout}) and your cgroup is not delegated to you`,
      {
        hint:
          "Ask root to delegate a cgroup subtree to you in every v1 controller and run serve inside it, or use `--runtime runc`, which runs rootless without cgroups",
      },
    );
  }
  if (errors.length === 0) {
    return new UserError(
      `The container exited with status ${failure.code} before the gateway answered`,
      { hint: "The gateway's log lines on stdout say why; OPENSHELL_DEBUG=1 shows the runtime's" },
    );
  }
  const last = errors.at(-1) ?? lines.at(-1) ?? "no output";
  return new UserError(
    `OCI runtime ${failure.runtime} failed with status ${failure.code}: ${last}`,
    { hint: "Rerun with OPENSHELL_DEBUG=1 to see the runtime's whole output" },
  );
}
