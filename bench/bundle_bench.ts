/**
 * Rootfs unpacking speed: a cold unpack of the real image (digest check, extraction with
 * per-entry manifest checks, read-only pass, rename into the cache) against `tar -xzf` of the
 * same tarball, and a warm reuse (cache hit: manifest read and entry check), measured in
 * the same run. Goals: cold within 1.5x of GNU tar; warm under 10 ms.
 *
 * @module
 */
import { join } from "node:path";
import { ensureRootfs, imageSource } from "../src/bundle/mod.ts";
import { removeTree } from "../src/bundle/remove_tree.ts";

const ROUNDS = 15;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function time(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

/** Runs the rootfs benchmarks and prints their ratios. */
export async function benchBundle(): Promise<void> {
  const scratch = await Deno.makeTempDir({ prefix: "openshell-bench-" });
  try {
    const tarball = imageSource(() => undefined).tarball;
    const env = (name: string) =>
      name === "XDG_CACHE_HOME" ? join(scratch, "cache") : Deno.env.get(name);
    const uid = Deno.uid() ?? 0;
    const cold: number[] = [];
    const gnu: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const target = join(scratch, `tar-${round}`);
      await Deno.mkdir(target);
      gnu.push(
        await time(() =>
          new Deno.Command("tar", { args: ["-xzf", tarball, "-C", target] }).output()
            .then((result) => {
              if (!result.success) throw new Error("tar -xzf failed");
            })
        ),
      );
      await removeTree(join(scratch, "cache"));
      cold.push(await time(() => ensureRootfs({ env, uid })));
    }
    const warm: number[] = [];
    for (let round = 0; round < ROUNDS * 4; round++) {
      warm.push(await time(() => ensureRootfs({ env, uid })));
    }
    const firstCall: number[] = [];
    for (let round = 0; round < 5; round++) {
      const child = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", import.meta.filename!, "--warm-once"],
        env: { XDG_CACHE_HOME: join(scratch, "cache") },
        stdout: "piped",
      }).output();
      firstCall.push(Number(new TextDecoder().decode(child.stdout)));
    }
    const coldMs = median(cold);
    const gnuMs = median(gnu);
    const warmMs = median(warm);
    console.log(
      `bundle: cold unpack ${coldMs.toFixed(1)} ms vs tar -xzf ${gnuMs.toFixed(1)} ms: ` +
        `${(coldMs / gnuMs).toFixed(2)}x (goal <= 1.5x)`,
    );
    console.log(
      `bundle: warm reuse ${warmMs.toFixed(2)} ms, first call in a fresh process ` +
        `${median(firstCall).toFixed(2)} ms (goal < 10 ms)`,
    );
  } finally {
    await removeTree(scratch);
  }
}

/** One warm `ensureRootfs` in this fresh process; prints its milliseconds. */
async function warmOnce(): Promise<void> {
  const env = (name: string) => Deno.env.get(name);
  console.log(await time(() => ensureRootfs({ env, uid: Deno.uid() ?? 0 })));
}

if (import.meta.main) await (Deno.args[0] === "--warm-once" ? warmOnce() : benchBundle());
