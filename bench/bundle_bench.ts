/**
 * Rootfs unpacking speed: a cold unpack of the real image (digest check, extraction with
 * per-entry manifest checks, read-only pass, rename into the cache) against `tar -xzf` of the
 * same tarball, and a warm reuse (cache hit: manifest read and entry check), measured in
 * the same run. Goals: cold within 1.5x of GNU tar; warm under 10 ms. Also the part of the
 * entry check that hashes every file against the manifest, against `sha256sum` of the same
 * files: under 5 ms in a fresh process (where `serve` would pay it) it could run on every
 * use; above, it runs only when a file's stamp has changed since its contents last matched.
 *
 * @module
 */
import { join } from "node:path";
import { median } from "./_report.ts";
import { ensureRootfs, imageSource, loadManifest } from "../src/image/mod.ts";
import { removeTree } from "../src/files/remove_tree.ts";
import { checkEntryContents } from "../src/image/rootfs_cache.ts";

const ROUNDS = 15;

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
    // Files changed in the last 2 s are hashed on every use; then their stamps are recorded.
    const warmHashed: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      warmHashed.push(await time(() => ensureRootfs({ env, uid })));
    }
    await new Promise((resolve) => setTimeout(resolve, 2100));
    await ensureRootfs({ env, uid });
    const warm: number[] = [];
    for (let round = 0; round < ROUNDS * 4; round++) {
      warm.push(await time(() => ensureRootfs({ env, uid })));
    }
    const inFreshProcess = async (mode: string) => {
      const child = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", import.meta.filename!, mode],
        env: { XDG_CACHE_HOME: join(scratch, "cache") },
        stdout: "piped",
      }).output();
      return Number(new TextDecoder().decode(child.stdout));
    };
    const firstCall: number[] = [];
    for (let round = 0; round < 5; round++) firstCall.push(await inFreshProcess("--warm-once"));

    // Content hashing alone, against sha256sum of the same files.
    const { path: rootfs, digest } = await ensureRootfs({ env, uid });
    const entry = join(rootfs, "..");
    const manifest = await loadManifest(imageSource(() => undefined));
    const files = manifest.files.flatMap((f) => f.type === "file" ? [f.path] : []);
    const hashing: number[] = [];
    const sha256sum: number[] = [];
    const hashingFresh: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      hashing.push(
        await time(async () => {
          if (await checkEntryContents(entry, manifest)) throw new Error("entry damaged");
        }),
      );
      sha256sum.push(
        await time(() =>
          new Deno.Command("sha256sum", { args: files, cwd: rootfs, stdout: "null" }).output()
        ),
      );
      if (round < 5) hashingFresh.push(await inFreshProcess(`--contents-once=${digest}`));
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
        `${median(firstCall).toFixed(2)} ms (goal < 10 ms); ` +
        `${median(warmHashed).toFixed(2)} ms while the files are hashed`,
    );
    const hashingMs = median(hashing);
    const hashingFreshMs = median(hashingFresh);
    const bytes = manifest.contentSize;
    console.log(
      `bundle: hashing ${files.length} cached files (${(bytes / 1e6).toFixed(1)} MB) ` +
        `${hashingMs.toFixed(2)} ms warm, ${hashingFreshMs.toFixed(2)} ms in a fresh process, ` +
        `vs sha256sum ${median(sha256sum).toFixed(2)} ms: ` +
        `${(hashingFreshMs / median(sha256sum)).toFixed(2)}x (goal < 5 ms)`,
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

/** One content check of the entry `digest` in this fresh process; prints its milliseconds. */
async function contentsOnce(digest: string): Promise<void> {
  const env = (name: string) => Deno.env.get(name);
  const entry = join(env("XDG_CACHE_HOME")!, "openshell/rootfs", digest);
  const manifest = await loadManifest(imageSource(() => undefined));
  console.log(await time(() => checkEntryContents(entry, manifest)));
}

if (import.meta.main) {
  const mode = Deno.args[0] ?? "";
  await (mode === "--warm-once"
    ? warmOnce()
    : mode.startsWith("--contents-once=")
    ? contentsOnce(mode.slice("--contents-once=".length))
    : benchBundle());
}
