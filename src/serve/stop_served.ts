import { UserError } from "../errors/mod.ts";
import { effectiveUid, loginName } from "../host/mod.ts";
import { launcherProblem, processStart, systemctlCommand } from "./served_record.ts";
import type { ServedLookup } from "./served_lookup.ts";

/**
 * Stops the gateway a launcher serves: SIGTERM to the launcher, which stops the container
 * and cleans up, then waits until the launcher is gone (its cleanup is done by then). Another
 * user's launcher is proven again just before the signal, so a pid that ended meanwhile and
 * was reused is never signalled.
 *
 * @throws {UserError} for a gateway under a systemd unit (systemctl must stop it), one
 *   served by another user, or one that does not stop within `timeoutMs`.
 */
export async function stopServedGateway(
  served: ServedLookup & { state: "served" },
  timeoutMs = 30_000,
): Promise<void> {
  const { record, owner } = served;
  const ownerName = record.unit === null ? undefined : await loginName(record.uid);
  const systemctl = systemctlCommand(record, effectiveUid(), "stop", ownerName);
  if (systemctl !== undefined) {
    throw new UserError(`Gateway "${record.name}" runs under the systemd unit "${record.unit}"`, {
      hint: `Stop it with \`${systemctl}\`, or systemd restarts it`,
    });
  }
  if (owner !== undefined) {
    const problem = await launcherProblem(record, owner);
    if (problem !== undefined) {
      throw new UserError(`Gateway "${record.name}" was not stopped: ${problem}`);
    }
  }
  try {
    Deno.kill(record.pid, "SIGTERM");
  } catch (error) {
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new UserError(
        `Gateway "${record.name}" is served by uid ${record.uid}: only that user or root can stop it`,
      );
    }
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await processStart(record.pid)) !== record.pidStart) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new UserError(
    `Gateway "${record.name}" did not stop within ${
      timeoutMs / 1000
    } s (launcher pid ${record.pid})`,
    {
      hint:
        `Its launcher may be stuck; \`kill -KILL ${record.pid}\` ends it, and the next serve cleans up`,
    },
  );
}
