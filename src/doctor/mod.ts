/**
 * `doctor`: what this host offers `serve` (user namespaces, cgroups, OCI runtimes, the
 * paths a root launch mounts, the rootfs image, the registry, the listen port), each as a
 * verdict with what was found and the remedy. Facts are read once; the verdicts are a pure
 * function of them.
 *
 * @example
 * ```ts
 * import { canServe, doctorChecks, readDoctorFacts } from "./mod.ts";
 * const checks = doctorChecks(
 *   await readDoctorFacts({
 *     env: (name) => Deno.env.get(name),
 *     uid: Deno.uid() ?? 0,
 *     binary: Deno.execPath(),
 *     listen: { hostname: "127.0.0.1", port: 8090 },
 *   }),
 * );
 * if (!canServe(checks)) console.error(checks.filter((c) => c.status === "fail"));
 * ```
 *
 * @module
 */
export { canServe, type CheckStatus, type DoctorCheck, doctorChecks } from "./doctor_checks.ts";
export type { DoctorFacts, ReachFinding, RuntimeProbe } from "./doctor_facts.ts";
export { type DoctorOptions, readDoctorFacts } from "./read_doctor_facts.ts";
