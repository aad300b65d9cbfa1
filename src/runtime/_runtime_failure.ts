import { UserError } from "../errors/mod.ts";
import type { CgroupLayout } from "./_cgroup_path.ts";
import type { RuntimeName } from "./oci_runtime.ts";

/** What is known about a runtime that failed before the gateway answered. */
export interface RuntimeFailure {
  runtime: RuntimeName;
  /** The runtime's exit status. */
  code: number;
  /** The tail of what it wrote on stderr. */
  stderr: string;
  /** Its JSON log lines (`--log FILE --log-format json`), when it wrote any. */
  log?: string;
  layout: CgroupLayout;
  rootless: boolean;
}

/**
 * Turns a runtime failure into the error the user sees: a known cause with its remedies
 * (rootless youki without a delegated cgroup on a v1/hybrid host), else the step that failed
 * and its cause with the path it names, from the runtime's JSON log (the last error is the
 * step, the first its cause), else the runtime's last error line on stderr.
 *
 * @example
 * ```ts
 * import { explainRuntimeFailure } from "./_runtime_failure.ts";
 * const stderr = "ERROR failed to create cgroup: Permission denied (os error 13)";
 * explainRuntimeFailure({ runtime: "youki", code: 1, stderr, layout: "hybrid", rootless: true });
 * // UserError: Rootless youki cannot create the gateway's cgroup: this host uses cgroup v1 (hybrid) and your cgroup is not delegated to you
 * ```
 */
export function explainRuntimeFailure(failure: RuntimeFailure): UserError {
  const logged = loggedErrors(failure.log ?? "");
  const lines = [...failure.stderr.split("\n"), ...logged].map((l) => l.trim()).filter((l) =>
    l !== ""
  );
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
  if (logged.length > 0) {
    const cause = logged[0]!;
    const step = lastPart(logged.at(-1)!);
    return new UserError(
      `OCI runtime ${failure.runtime} failed with status ${failure.code}: ${
        logged.length > 1 && !cause.startsWith(step) ? `${step}: ${cause}` : cause
      }`,
      { hint: "Rerun with OPENSHELL_DEBUG=1 to see the runtime's whole output" },
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

/** Fields of a JSON log record that are not part of what went wrong. */
const LOG_META = new Set([
  "timestamp",
  "time",
  "level",
  "message",
  "msg",
  "target",
  "span",
  "spans",
]);

/**
 * The error records of a runtime's JSON log, oldest first, each as its message's first line
 * followed by its fields (`rootfs="/x" err=Nix(EACCES)`), which name the path involved.
 *
 * @example
 * ```ts
 * // Seen through explainRuntimeFailure, the only caller:
 * import { explainRuntimeFailure } from "./_runtime_failure.ts";
 * const log =
 *   '{"level":"ERROR","message":"failed to bind mount rootfs","rootfs":"/r","err":"Nix(EACCES)"}';
 * explainRuntimeFailure({
 *   runtime: "youki",
 *   code: 1,
 *   stderr: "",
 *   log,
 *   layout: "unified",
 *   rootless: true,
 * });
 * // UserError: OCI runtime youki failed with status 1: failed to bind mount rootfs rootfs="/r" err=Nix(EACCES)
 * ```
 */
function loggedErrors(log: string): string[] {
  const errors: string[] = [];
  for (const line of log.split("\n")) {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof record !== "object" || record === null) continue;
    if (String(record.level ?? "").toLowerCase() !== "error") continue;
    const message = String(record.message ?? record.msg ?? "").split("\n")[0]!.trim();
    const nested = typeof record.fields === "object" && record.fields !== null
      ? record.fields as Record<string, unknown>
      : {};
    const fields = Object.entries({ ...record, ...nested })
      .filter(([key]) => !LOG_META.has(key) && key !== "fields")
      .map(([key, value]) =>
        `${key}=${
          typeof value === "string" && /[\s"]|^\//.test(value)
            ? JSON.stringify(value)
            : String(value)
        }`
      );
    errors.push([message, ...fields].filter((part) => part !== "").join(" "));
  }
  return errors;
}

/** The innermost step of a chained message: `a: b: failed to prepare rootfs` -> the last part. */
function lastPart(message: string): string {
  const withoutFields = message.replace(/ \w+=.*$/, "");
  return withoutFields.split(": ").at(-1)!.trim();
}
