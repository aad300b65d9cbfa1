/**
 * The runtime closure of ELF programs: the interpreter and every DT_NEEDED library,
 * resolved the way glibc's loader does (DT_RPATH unless DT_RUNPATH is set, then DT_RUNPATH,
 * both with $ORIGIN; then the system directories), inside a {@linkcode RootView}. The image
 * build uses it on the host; `bundle verify` and the launcher's pre-flight check use it
 * inside an unpacked rootfs.
 *
 * @module
 */
import { dirname, join, normalize, resolve } from "../path/mod.ts";
import { type ElfInfo, readElfFile } from "./_elf.ts";
import type { RootView } from "./_root_view.ts";

/** A program or library as the loader sees it. */
export interface LoadedObject {
  /** Path inside the root it was loaded from (its $ORIGIN is the directory of this). */
  path: string;
  /** Where to read it on the host. */
  hostPath: string;
  info: ElfInfo;
}

/** Something that did not resolve, in words: `libm.so.6 (needed by /x): not found`. */
export type Missing = string;

/** The result of {@linkcode resolveClosure}. */
export interface Closure {
  /** Every object loaded, by in-root path (roots included). */
  objects: Map<string, LoadedObject>;
  missing: Missing[];
}

/** A program to start the closure from. */
export interface ClosureRoot {
  /** Its path inside the root (decides $ORIGIN). */
  path: string;
  /** Where to read it on the host (it may live outside the root, e.g. a bind-mounted binary). */
  hostPath: string;
  /** Libraries loaded at run time without a DT_NEEDED entry (e.g. libnss_files.so.2). */
  extraNeeded?: string[];
}

const TRIPLES: Record<string, string> = {
  "64:62": "x86_64-linux-gnu",
  "32:3": "i386-linux-gnu",
  "64:183": "aarch64-linux-gnu",
  "32:40": "arm-linux-gnueabihf",
  "64:243": "riscv64-linux-gnu",
  "64:21": "powerpc64le-linux-gnu",
  "64:22": "s390x-linux-gnu",
};

/**
 * The loader's built-in search directories for objects of this class and machine:
 * Debian's multiarch directories, then lib64 (other distributions), then lib. Glibc-hwcaps
 * subdirectories are not modelled; the image ships none.
 */
export function systemLibraryDirs(info: Pick<ElfInfo, "bits" | "machine">): string[] {
  const triple = TRIPLES[`${info.bits}:${info.machine}`];
  return [
    ...(triple ? [`/lib/${triple}`, `/usr/lib/${triple}`] : []),
    ...(info.bits === 64 ? ["/lib64", "/usr/lib64"] : []),
    "/lib",
    "/usr/lib",
  ];
}

/**
 * The directories searched for a DT_NEEDED name of `requester`, in order, with $ORIGIN
 * expanded. Pure: decides the order only.
 */
export function librarySearchDirs(requester: LoadedObject, executable: LoadedObject): string[] {
  const expand = (dirs: string[] | undefined, object: LoadedObject) =>
    (dirs ?? []).flatMap((dir) => {
      const expanded = dir.replaceAll(/\$\{ORIGIN\}|\$ORIGIN/g, dirname(object.path));
      // $LIB and $PLATFORM depend on the loader build; relative entries on the working dir.
      return expanded.includes("$") || !expanded.startsWith("/") ? [] : [normalize(expanded)];
    });
  const rpath = requester.info.runpath === undefined
    ? [
      ...expand(requester.info.rpath, requester),
      ...(executable === requester ? [] : expand(executable.info.rpath, executable)),
    ]
    : [];
  return [
    ...rpath,
    ...expand(requester.info.runpath, requester),
    ...systemLibraryDirs(requester.info),
  ];
}

/**
 * Resolves the closure of `roots` inside `view`: each root's interpreter and DT_NEEDED
 * libraries, recursively. A candidate of another ELF class or machine is skipped, as the
 * loader skips it.
 */
export async function resolveClosure(view: RootView, roots: ClosureRoot[]): Promise<Closure> {
  const objects = new Map<string, LoadedObject>();
  const missing: Missing[] = [];
  const parseCache = new Map<string, ElfInfo | Error>();
  const parse = (hostPath: string) => {
    let result = parseCache.get(hostPath);
    if (!result) {
      try {
        result = readElfFile(hostPath);
      } catch (error) {
        result = error instanceof Error ? error : new Error(String(error));
      }
      parseCache.set(hostPath, result);
    }
    return result;
  };

  for (const root of roots) {
    const rootInfo = parse(root.hostPath);
    if (rootInfo instanceof Error) {
      missing.push(`${root.path}: ${rootInfo.message}`);
      continue;
    }
    const executable: LoadedObject = { path: root.path, hostPath: root.hostPath, info: rootInfo };
    objects.set(root.path, executable);
    if (rootInfo.interpreter !== undefined) {
      const found = await view.resolveFile(rootInfo.interpreter);
      const info = found && parse(found.hostPath);
      const label = `${rootInfo.interpreter} (interpreter of ${root.path})`;
      if (!found || !info) missing.push(`${label}: not found`);
      else if (info instanceof Error) missing.push(`${label}: ${info.message}`);
      else if (!compatible(info, rootInfo)) {
        missing.push(`${label}: ${describe(info)}, wanted ${describe(rootInfo)}`);
      } else if (!objects.has(rootInfo.interpreter)) {
        objects.set(rootInfo.interpreter, {
          path: rootInfo.interpreter,
          hostPath: found.hostPath,
          info,
        });
      }
    }
    const queue: { requester: LoadedObject; name: string }[] = [
      ...rootInfo.needed.map((name) => ({ requester: executable, name })),
      ...(root.extraNeeded ?? []).map((name) => ({ requester: executable, name })),
    ];
    const visited = new Set<string>([root.path]);
    while (queue.length > 0) {
      const { requester, name } = queue.shift()!;
      const result = await findLibrary(view, name, requester, executable, parse);
      if ("problem" in result) {
        missing.push(`${name} (needed by ${requester.path}): ${result.problem}`);
        continue;
      }
      if (visited.has(result.path)) continue;
      visited.add(result.path);
      if (!objects.has(result.path)) objects.set(result.path, result);
      queue.push(...result.info.needed.map((next) => ({ requester: result, name: next })));
    }
  }
  return { objects, missing: [...new Set(missing)] };
}

async function findLibrary(
  view: RootView,
  name: string,
  requester: LoadedObject,
  executable: LoadedObject,
  parse: (hostPath: string) => ElfInfo | Error,
): Promise<LoadedObject | { problem: string }> {
  const candidates = name.includes("/")
    ? [resolve("/", name)]
    : librarySearchDirs(requester, executable).map((dir) => join(dir, name));
  let problem = "not found";
  for (const candidate of new Set(candidates)) {
    const found = await view.resolveFile(candidate);
    if (!found) continue;
    const info = parse(found.hostPath);
    if (info instanceof Error) {
      problem = `"${candidate}": ${info.message}`;
      continue;
    }
    if (!compatible(info, requester.info)) {
      problem = `"${candidate}" is ${describe(info)}, wanted ${describe(requester.info)}`;
      continue;
    }
    return { path: candidate, hostPath: found.hostPath, info };
  }
  return { problem };
}

function compatible(a: ElfInfo, b: ElfInfo): boolean {
  return a.bits === b.bits && a.machine === b.machine && a.endian === b.endian;
}

function describe(info: ElfInfo): string {
  return `ELFCLASS${info.bits} machine ${info.machine}`;
}
