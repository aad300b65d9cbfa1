/**
 * Where this program is installed, and the settings its installer or build left for it.
 *
 * The install prefix is derived once from where the program runs: a compiled binary at
 * `<prefix>/bin/openshell`, or a source install whose sources are `<prefix>/lib/openshell/src/`.
 * A checkout has no prefix. Everything here is on the hot path: no `node:*` import, and each
 * setting is one small synchronous read.
 *
 * @module
 */

/** The program's library directory under its prefix; install.sh writes its settings there. */
export const LIB_DIR = "lib/openshell";

/** The program's private executables (its OCI runtime) under its prefix. */
export const PRIVATE_EXEC_DIR = "libexec/openshell";

/** Where `deno task compile` puts settings embedded in the binary, relative to the program root. */
export const COMPILED_SETTINGS_DIR = ".compile";

/** The directory holding `src/`: the checkout, the source install's lib dir, or the binary's embedded tree. */
function programRoot(): string | undefined {
  const url = new URL("../..", import.meta.url); // this file is src/host/install_location.ts
  if (url.protocol !== "file:") return undefined;
  return trimSlash(decodeURIComponent(url.pathname));
}

/**
 * The program's `src/` directory when it runs from source (`deno run`), which the container
 * mounts and `--detach` restarts from; `undefined` for a compiled binary.
 *
 * @example
 * ```ts
 * import { sourceDir } from "./install_location.ts";
 * sourceDir(); // "/usr/lib/openshell/src" for a source install
 * ```
 */
export function sourceDir(): string | undefined {
  const root = programRoot();
  return Deno.build.standalone || root === undefined ? undefined : `${root}/src`;
}

/**
 * The source checkout this program runs from (`deno run` of a clone, not an install), whose
 * `scripts/` a user can run; `undefined` for an installed or compiled program.
 *
 * @example
 * ```ts
 * import { checkoutDir } from "./install_location.ts";
 * checkoutDir(); // "/home/ada/openshell" under `deno run /home/ada/openshell/src/main.ts`
 * ```
 */
export function checkoutDir(): string | undefined {
  const root = programRoot();
  return Deno.build.standalone || installPrefix() !== undefined ? undefined : root;
}

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

function parentOf(path: string): string {
  const cut = path.lastIndexOf("/");
  return cut <= 0 ? "/" : path.slice(0, cut);
}

let prefixMemo: { value: string | undefined } | undefined;

/**
 * The prefix this program is installed under, or `undefined` when it runs from a checkout (or
 * from a binary that is not in a `bin/` directory).
 *
 * @example
 * ```ts
 * import { installPrefix } from "./install_location.ts";
 * installPrefix(); // "/usr" for /usr/bin/openshell or /usr/lib/openshell/src/main.ts
 * ```
 */
export function installPrefix(): string | undefined {
  prefixMemo ??= {
    value: prefixOf({
      standalone: Deno.build.standalone,
      execPath: Deno.execPath(),
      programRoot: programRoot(),
    }),
  };
  return prefixMemo.value;
}

/** Where the program runs from, as {@linkcode prefixOf} needs it. */
export interface ProgramPlace {
  /** Whether it is a compiled binary. */
  standalone: boolean;
  /** The running executable: the binary, or the Deno that runs the sources. */
  execPath: string;
  /** The directory holding `src/`. */
  programRoot: string | undefined;
}

/**
 * The install prefix of a program at `place`: `<prefix>` of a binary `<prefix>/bin/<file>`, or of
 * sources under `<prefix>/lib/openshell/`; `undefined` for anything else (a checkout).
 *
 * @example
 * ```ts
 * import { prefixOf } from "./install_location.ts";
 * prefixOf({ standalone: true, execPath: "/opt/os/bin/openshell", programRoot: undefined }); // "/opt/os"
 * ```
 */
export function prefixOf(place: ProgramPlace): string | undefined {
  if (place.standalone) {
    const bin = parentOf(place.execPath);
    return bin === "/bin" || bin.endsWith("/bin") ? parentOf(bin) : undefined;
  }
  const root = place.programRoot;
  if (root === undefined || !root.startsWith("/")) return undefined;
  if (root === `/${LIB_DIR}`) return "/";
  return root.endsWith(`/${LIB_DIR}`) ? root.slice(0, -LIB_DIR.length - 1) : undefined;
}

/** `<prefix>/libexec/openshell`, where the package keeps its OCI runtime; `undefined` from a checkout. */
export function privateExecDir(): string | undefined {
  const prefix = installPrefix();
  return prefix === undefined ? undefined : joinPath(prefix, PRIVATE_EXEC_DIR);
}

/** A setting found in a file: its value and the file it came from. */
export interface FileSetting {
  value: string;
  file: string;
}

/**
 * The setting `name` an installer left in `<prefix>/lib/openshell/<name>`: its first line,
 * with a relative value taken relative to the prefix, so a prefix moved as a whole keeps it.
 */
export function installedSetting(name: string): FileSetting | undefined {
  const prefix = installPrefix();
  if (prefix === undefined) return undefined;
  const file = joinPath(prefix, `${LIB_DIR}/${name}`);
  const value = readFirstLine(file);
  if (value === undefined) return undefined;
  return { value: value.startsWith("/") ? value : joinPath(prefix, value), file };
}

/** The setting `name` that `deno task compile` embedded in this binary (never read from source). */
export function compiledSetting(name: string): FileSetting | undefined {
  if (!Deno.build.standalone) return undefined;
  const root = programRoot();
  if (root === undefined) return undefined;
  const file = joinPath(root, `${COMPILED_SETTINGS_DIR}/${name}`);
  const value = readFirstLine(file);
  return value === undefined || !value.startsWith("/") ? undefined : { value, file };
}

function readFirstLine(file: string): string | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch {
    return undefined;
  }
  const line = text.split("\n", 1)[0]?.trim() ?? "";
  return line === "" ? undefined : line;
}

function joinPath(dir: string, rest: string): string {
  return dir.endsWith("/") ? `${dir}${rest}` : `${dir}/${rest}`;
}
