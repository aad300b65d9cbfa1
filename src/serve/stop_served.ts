import { UserError } from "../errors/mod.ts";
import { tryLockInstance } from "../runtime/mod.ts";
import { processStart, type ServedRecord } from "./served_record.ts";

/**
 * Stops the gateway a launcher serves: SIGTERM to the launcher, which stops the container
 * and cleans up, then waits until the launcher is gone and has let go of the gateway's lock
 * (its cleanup is done by then).
 *
 * @param dir the gateway's runtime dir (where the lock and records live).
 * @throws {UserError} for a gateway under a systemd unit (systemctl must stop it), one
 *   served by another user, or one that does not stop within `timeoutMs`.
 */
export async function stopServedGateway(
  dir: string,
  record: ServedRecord,
  timeoutMs = 30_000,
): Promise<void> {
  if (record.unit !== null) {
    const scope = record.uid === 0 ? "" : "--user ";
    throw new UserError(`Gateway "${record.name}" runs under the systemd unit "${record.unit}"`, {
      hint: `Stop it with \`systemctl ${scope}stop ${record.unit}\`, or systemd restarts it`,
    });
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
    if ((await processStart(record.pid)) !== record.pidStart) {
      const lock = await tryLockInstance(dir).catch(() => undefined);
      if (lock) {
        await lock.release();
        return;
      }
    }
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
