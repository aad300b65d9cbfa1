/**
 * The gateway's Deno cache (`DENO_DIR`) made ahead of its starts. Deno caches what it makes of
 * each module (its dependency analysis and, for TypeScript, the emitted JavaScript) by the
 * module's URL; a gateway that finds them runs about 5 MB smaller, as it neither parses nor
 * emits its modules (the code doing that is the executable's, and touched only then). The URLs
 * are the container's (`/usr/local/lib/openshell/...`), so the launcher makes the cache where
 * they are: `deno cache` (which reads the modules and runs none of them) in a private mount
 * namespace where the staged rootfs has the program and its sources bound as the container
 * has them, changed into with `chroot`. That template is the launcher's, in its runtime dir
 * (which root's container may traverse), made once and again when a source it holds changes,
 * under a lock beside it that keeps it from being replaced while a launch stages from it and its
 * runtime binds it.
 * Each start gets the emitted JavaScript bound read-only and a fresh copy of the SQLite caches
 * (Deno opens caches it cannot write as if they were empty) in its bundle, removed with it: a
 * gateway can change nothing a later start reads. When the template cannot be made (no
 * `unshare`, no user namespaces), the gateway starts with an empty cache, as before.
 *
 * @module
 */
import { join } from "../path/mod.ts";
import { pathExists, removeStaleTemps, removeTree, tempPath } from "../files/mod.ts";
import { CONTAINER_PATHS } from "../contract/mod.ts";

/** The record beside the template's caches: what it was made by, from where, and when. */
const RECORD = "openshell-template.json";
/** Where a Deno cache keeps the JavaScript it emits (`gen/file/<path>.js`). */
export const EMITTED_DIR = "gen";
/** Where a Deno cache made at the container's paths keeps the sources' emitted JavaScript. */
const EMITTED = join(EMITTED_DIR, "file", CONTAINER_PATHS.source);

interface TemplateRecord {
  deno: string;
  sourceDir: string;
  /** When it was made, in ms since the epoch: sources changed since make it stale. */
  madeAt: number;
}

/** Where openshell's runtime dir keeps the templates, one dir each. */
const TEMPLATES = "deno-dir";
/** The lock beside them: shared by a launch using one, exclusive while one is made or removed. */
const TEMPLATES_LOCK = "deno-dir.lock";
/**
 * The longest a launch waits for that lock (another launch making a template, about 0.1 s, or
 * launches holding theirs until their gateway runs); then it starts with an empty cache.
 */
const LOCK_WAIT_MS = 10_000;
/** How often a launch waiting for the lock tries again. */
const LOCK_RETRY_MS = 20;

/**
 * Where the template for the sources at `sourceDir` lives in `runtimeDir` (openshell's runtime
 * directory): one per Deno version and source dir, so launches of different programs keep
 * theirs.
 */
async function denoDirTemplatePath(runtimeDir: string, sourceDir: string): Promise<string> {
  const key = new TextEncoder().encode(`${Deno.version.deno}\0${sourceDir}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", key));
  const hex = [...digest.subarray(0, 8)].map((byte) => byte.toString(16).padStart(2, "0"));
  return join(runtimeDir, TEMPLATES, hex.join(""));
}

/** The templates' lock file in `runtimeDir`, opened (close-on-exec: no child inherits it). */
function openTemplatesLock(runtimeDir: string): Deno.FsFile {
  return Deno.openSync(join(runtimeDir, TEMPLATES_LOCK), {
    read: true,
    write: true,
    create: true,
    mode: 0o600,
  });
}

/** Waits until the lock is tried again. */
function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
}

/**
 * Whether the template at `template` was made by this Deno from `sourceDir` after the last
 * change of every source file it holds.
 *
 * @example
 * ```ts
 * import { denoDirTemplateFresh } from "./gateway_deno_dir.ts";
 * denoDirTemplateFresh("/run/openshell/deno-dir/0123456789abcdef", "/usr/lib/openshell/src");
 * ```
 */
export function denoDirTemplateFresh(template: string, sourceDir: string): boolean {
  let record: TemplateRecord;
  try {
    record = JSON.parse(Deno.readTextFileSync(join(template, RECORD)));
  } catch {
    return false;
  }
  if (record.deno !== Deno.version.deno || record.sourceDir !== sourceDir) return false;
  const emitted = join(template, EMITTED);
  const modules = emittedModules(emitted);
  if (modules.length === 0) return false;
  for (const module of modules) {
    try {
      const info = Deno.statSync(join(sourceDir, module));
      // Deno gives the change time in whole seconds: any time in that second may be it.
      const changed = Math.max(
        info.mtime?.getTime() ?? Infinity,
        (info.ctime?.getTime() ?? Infinity) + 999,
      );
      if (changed >= record.madeAt) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** The sources' paths (relative, `.ts`) whose emitted JavaScript is under `emitted`. */
function emittedModules(emitted: string, prefix = ""): string[] {
  const found: string[] = [];
  let entries: Iterable<Deno.DirEntry>;
  try {
    entries = Deno.readDirSync(join(emitted, prefix));
  } catch {
    return found;
  }
  for (const entry of entries) {
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory) found.push(...emittedModules(emitted, path));
    else if (entry.name.endsWith(".js")) found.push(path.slice(0, -".js".length));
  }
  return found;
}

/** What {@linkcode ensureDenoDirTemplate} makes the template from. */
export interface DenoDirTemplateOptions {
  /** openshell's runtime dir, which holds the templates. */
  runtimeDir: string;
  /** The staged rootfs (read-only; bound over only inside the private namespace). */
  rootfs: string;
  /** The Deno executable the container runs. */
  binary: string;
  /** The program's `src/`, bound read-only where the container has it. */
  sourceDir: string;
  /** The caller's uid: anyone but root makes it in a user namespace of its own. */
  uid: number;
  /** Ends the wait for the lock (a stop asked for): the launch goes on without a template. */
  stop?: AbortSignal;
}

/**
 * A template held for one launch: while held, no other launch replaces or removes it (they
 * wait), so the launch stages from it and its runtime binds it whole. Released (by closing the
 * lock's file, or by the launcher's death, even by SIGKILL) once the runtime has made its mounts:
 * a gateway running from it keeps them.
 */
export interface HeldDenoDirTemplate extends Disposable {
  path: string;
  /** Lets later launches replace it; again does nothing. */
  release(): void;
}

/**
 * The template, made first when absent or stale, held under the templates' shared lock until
 * released; `undefined` when it cannot be made, or the lock is not had within
 * {@linkcode LOCK_WAIT_MS} or before `stop` (the gateway then starts with an empty cache, as
 * before). It is made
 * under the exclusive lock, after checking again that no other launch made it meanwhile; made
 * into a temp dir beside it and renamed into place; readable by all (root's container runs as
 * uid 65532), writable by its maker only.
 *
 * @example
 * ```ts
 * import { ensureDenoDirTemplate } from "./mod.ts";
 * using template = await ensureDenoDirTemplate({
 *   runtimeDir: "/run/user/1000/openshell",
 *   rootfs: "/home/ada/.cache/openshell/rootfs/3f2a/rootfs",
 *   binary: "/usr/bin/deno",
 *   sourceDir: "/usr/lib/openshell/src",
 *   uid: 1000,
 * });
 * ```
 */
export async function ensureDenoDirTemplate(
  options: DenoDirTemplateOptions,
): Promise<HeldDenoDirTemplate | undefined> {
  const { sourceDir } = options;
  const template = await denoDirTemplatePath(options.runtimeDir, sourceDir);
  let file: Deno.FsFile | undefined;
  try {
    file = openTemplatesLock(options.runtimeDir);
    const end = Date.now() + LOCK_WAIT_MS;
    // Each turn: fresh under the shared lock, or else made (or found made by another launch)
    // under the exclusive one, then shared; the other launches' shared locks keep it whole.
    for (;;) {
      if (file.tryLockSync(false)) {
        if (denoDirTemplateFresh(template, sourceDir)) return held(file, template);
        file.unlockSync();
        if (file.tryLockSync(true)) {
          const made = denoDirTemplateFresh(template, sourceDir) ||
            await makeTemplate(options, template);
          if (made && file.tryLockSync(false)) return held(file, template);
          break;
        }
      }
      if (Date.now() >= end || options.stop?.aborted) break;
      await pause();
    }
  } catch {
    // no lock, no template
  }
  file?.close();
  return undefined;
}

function held(file: Deno.FsFile, path: string): HeldDenoDirTemplate {
  let open = true;
  const release = () => {
    if (open) file.close();
    open = false;
  };
  return { path, release, [Symbol.dispose]: release };
}

/** Makes the template at `template`, with the exclusive lock held; whether it did. */
async function makeTemplate(options: DenoDirTemplateOptions, template: string): Promise<boolean> {
  const templates = join(template, "..");
  // Of openshell's temp form: what a killed launcher left goes with a later one's.
  const temp = tempPath(templates, "template");
  const trash = tempPath(templates, "trash");
  try {
    Deno.mkdirSync(templates, { recursive: true });
    Deno.chmodSync(templates, 0o755); // root's container (uid 65532) passes through it
    await removeStaleTemps(templates);
    await removeOrphanTemplates(templates);
    Deno.mkdirSync(temp, { mode: 0o700 });
    const madeAt = Date.now();
    if (!(await makeCache(options, temp))) return false;
    openToAll(temp);
    const record: TemplateRecord = {
      deno: Deno.version.deno,
      sourceDir: options.sourceDir,
      madeAt,
    };
    Deno.writeTextFileSync(join(temp, RECORD), JSON.stringify(record) + "\n", { mode: 0o644 });
    try {
      Deno.renameSync(template, trash);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    Deno.renameSync(temp, template);
    return true;
  } catch {
    return false;
  } finally {
    await removeTree(temp).catch(() => {});
    await removeTree(trash).catch(() => {});
  }
}

/**
 * Removes the templates in `runtimeDir` no launch can use again (see
 * {@linkcode removeOrphanTemplates}), under the exclusive lock: none a launch holds. Nothing
 * when the lock is not had within {@linkcode LOCK_WAIT_MS} or cannot be opened.
 *
 * @returns the templates removed.
 * @example
 * ```ts
 * import { removeDeadDenoDirTemplates } from "./mod.ts";
 * await removeDeadDenoDirTemplates("/run/user/1000/openshell"); // ["/run/user/1000/openshell/deno-dir/0123456789abcdef"]
 * ```
 */
export async function removeDeadDenoDirTemplates(runtimeDir: string): Promise<string[]> {
  if (!(await pathExists(join(runtimeDir, TEMPLATES)))) return [];
  let file: Deno.FsFile | undefined;
  try {
    file = openTemplatesLock(runtimeDir);
    const end = Date.now() + LOCK_WAIT_MS;
    while (!file.tryLockSync(true)) {
      if (Date.now() >= end) return [];
      await pause();
    }
    return await removeOrphanTemplates(join(runtimeDir, TEMPLATES));
  } catch {
    return []; // not the caller's to open, or gone meanwhile: nothing of it is the caller's
  } finally {
    file?.close();
  }
}

/**
 * Removes the templates no launch can use again: of sources that are gone (a program copy
 * `bundle gc` removed, a checkout deleted) or made by another Deno (one upgraded). Called with
 * the exclusive lock held. A gateway running from one keeps its mounts; what it loads later it
 * then compiles itself.
 *
 * @returns the templates removed.
 */
async function removeOrphanTemplates(templates: string): Promise<string[]> {
  const removed: string[] = [];
  const entries = [...Deno.readDirSync(templates)].sort((a, b) => a.name < b.name ? -1 : 1);
  for (const entry of entries) {
    if (!entry.isDirectory || entry.name.startsWith(".")) continue;
    const path = join(templates, entry.name);
    let record: Partial<TemplateRecord> = {};
    try {
      record = JSON.parse(Deno.readTextFileSync(join(path, RECORD)));
    } catch {
      // unreadable: an orphan too
    }
    const sourcesLeft = typeof record.sourceDir === "string" && await pathExists(record.sourceDir);
    if (!sourcesLeft || record.deno !== Deno.version.deno) {
      await removeTree(path);
      removed.push(path);
    }
  }
  return removed;
}

/** Runs `deno cache` of the gateway into `denoDir` at the container's paths; whether it did. */
async function makeCache(options: DenoDirTemplateOptions, denoDir: string): Promise<boolean> {
  // Inside the namespace: the rootfs's own mount points take the program, its sources and the
  // cache being made; nothing is mounted outside it.
  const script = [
    "set -e",
    'mount --bind -o ro "$3" "$1$5"',
    'mount --bind -o ro "$2" "$1$6"',
    'mount --bind "$4" "$1/tmp"',
    'exec chroot "$1" "$6" cache --no-config --no-lock --quiet --unstable-lazy-dynamic-imports "$7"',
  ].join("\n");
  const namespaces = options.uid === 0 ? ["--mount"] : ["--user", "--map-root-user", "--mount"];
  try {
    const { success } = await new Deno.Command("unshare", {
      args: [
        ...namespaces,
        "--",
        "/bin/sh",
        "-c",
        script,
        "sh",
        options.rootfs,
        options.binary,
        options.sourceDir,
        denoDir,
        CONTAINER_PATHS.source,
        CONTAINER_PATHS.binary,
        CONTAINER_PATHS.serverEntry,
      ],
      env: {
        PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
        DENO_DIR: "/tmp",
        HOME: "/tmp",
        DENO_NO_UPDATE_CHECK: "1",
        NO_COLOR: "1",
      },
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    return success && emittedModules(join(denoDir, EMITTED)).length > 0;
  } catch {
    return false; // no unshare
  }
}

/** Directories 0755 and files 0644, whatever the maker's umask. */
function openToAll(dir: string): void {
  Deno.chmodSync(dir, 0o755);
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) openToAll(path);
    else if (entry.isFile) Deno.chmodSync(path, 0o644);
  }
}

/**
 * Stages one start's writable part of the cache at `target` (which must not exist): a 0700
 * directory with copies (0600) of the template's SQLite caches, SQLite's shared-memory files
 * left out (SQLite makes them anew), and an empty {@linkcode EMITTED_DIR} that the template's
 * own is bound over, read-only; handed to `owner` (the container's root in root mode).
 *
 * @example
 * ```ts
 * import { stageDenoDir } from "./mod.ts";
 * stageDenoDir(
 *   "/run/openshell/deno-dir/0123456789abcdef",
 *   "/run/openshell/bundles/openshell-local-1a2b3c4d/deno",
 *   { uid: 65532, gid: 65532 },
 * );
 * ```
 */
export function stageDenoDir(
  template: string,
  target: string,
  owner?: { uid: number; gid: number },
): void {
  Deno.mkdirSync(target, { mode: 0o700 });
  Deno.chmodSync(target, 0o700);
  Deno.mkdirSync(join(target, EMITTED_DIR), { mode: 0o700 });
  const hand = (path: string) => owner && Deno.chownSync(path, owner.uid, owner.gid);
  for (const entry of Deno.readDirSync(template)) {
    if (!entry.isFile || entry.name.endsWith("-shm") || entry.name === RECORD) continue;
    const copy = join(target, entry.name);
    Deno.writeFileSync(copy, Deno.readFileSync(join(template, entry.name)), {
      createNew: true,
      mode: 0o600,
    });
    Deno.chmodSync(copy, 0o600);
    hand(copy);
  }
  hand(join(target, EMITTED_DIR));
  hand(target);
}
