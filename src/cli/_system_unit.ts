/**
 * The systemd units the Debian package installs: `openshell-gateway@NAME.service` serves the
 * system gateway NAME. A gateway of the system registry whose unit template is installed is
 * started by systemd, not by hand.
 *
 * @module
 */

/** The system unit template, as packaging/debian names it. */
const SYSTEM_UNIT_TEMPLATE = "openshell-gateway@.service";

/** Where systemd finds system units installed by a package or an admin. */
const SYSTEM_UNIT_DIRS = ["/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"];

/**
 * The unit that serves system gateway `name` when the package's template is installed here,
 * else `undefined`.
 *
 * @example
 * ```ts
 * import { installedSystemUnit } from "./_system_unit.ts";
 * installedSystemUnit("local"); // "openshell-gateway@local" once the package is installed
 * ```
 */
export function installedSystemUnit(name: string): string | undefined {
  const installed = SYSTEM_UNIT_DIRS.some((dir) => {
    try {
      return Deno.statSync(`${dir}/${SYSTEM_UNIT_TEMPLATE}`).isFile;
    } catch {
      return false;
    }
  });
  return installed ? SYSTEM_UNIT_TEMPLATE.replace("@.service", `@${name}`) : undefined;
}
