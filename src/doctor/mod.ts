/**
 * `doctor`: what this host offers `serve` (user namespaces, cgroups, OCI runtimes, the
 * paths a root launch mounts, the rootfs image, the registry, the listen port), each as a
 * verdict with what was found and the remedy. Facts are read once; the verdicts are a pure
 * function of them.
 *
 * @example
 * ```ts
 * import { canServe, doctorChecks, readDoctorFacts } from "./doctor/mod.ts";
 * const checks = doctorChecks(await readDoctorFacts(options));
 * ```
 *
 * @module
 */
export { canServe, type CheckStatus, type DoctorCheck, doctorChecks } from "./doctor_checks.ts";
export type { DoctorFacts, ReachFinding, RuntimeProbe } from "./doctor_facts.ts";
export { type DoctorOptions, readDoctorFacts } from "./read_doctor_facts.ts";
