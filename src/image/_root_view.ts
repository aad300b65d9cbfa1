import { join } from "../path/mod.ts";

const MAX_SYMLINK_HOPS = 40;

/**
 * A directory tree seen as if it were "/": paths and symlinks (absolute ones too) resolve
 * inside it and ".." never climbs above it, the way a process chrooted there sees it. With
 * `root` "/" it is the host itself.
 */
export class RootView {
  /** The host directory that is "/" of this view. */
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /**
   * Resolves an absolute in-root `path` to the regular file it names, following symlinks
   * inside the root.
   *
   * Synchronous file system calls: a closure resolves a few dozen paths, and a thread-pool
   * round trip for each would cost more than the calls themselves.
   *
   * @returns the canonical in-root path and the host path to read it, or `undefined` when
   * the path does not lead to a regular file.
   */
  // deno-lint-ignore require-await
  async resolveFile(path: string): Promise<{ canonical: string; hostPath: string } | undefined> {
    const done: string[] = [];
    const todo = path.split("/").reverse();
    let hops = 0;
    while (todo.length > 0) {
      const part = todo.pop()!;
      if (part === "" || part === ".") continue;
      if (part === "..") {
        done.pop();
        continue;
      }
      const hostPath = join(this.root, ...done, part);
      let info: Deno.FileInfo;
      try {
        info = Deno.lstatSync(hostPath);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
          return undefined;
        }
        throw error;
      }
      if (info.isSymlink) {
        if (++hops > MAX_SYMLINK_HOPS) return undefined;
        const target = Deno.readLinkSync(hostPath);
        if (target.startsWith("/")) done.length = 0;
        todo.push(...target.split("/").reverse());
        continue;
      }
      if (!info.isDirectory && todo.some((rest) => rest !== "" && rest !== ".")) return undefined;
      done.push(part);
      if (todo.every((rest) => rest === "" || rest === ".")) {
        if (!info.isFile) return undefined;
        return { canonical: join("/", ...done), hostPath: join(this.root, ...done) };
      }
    }
    return undefined;
  }
}
