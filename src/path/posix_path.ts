/**
 * POSIX path arithmetic with the names and results of `node:path` on Linux. Written here
 * because importing `node:path`, or an npm path package that reads `globalThis.process`,
 * loads Deno's Node compatibility layer, which costs more than the hot path's whole work.
 *
 * @module
 */

/** The separator of `PATH`-like lists. */
export const delimiter = ":";

/** Whether `path` starts at the root. */
export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

/**
 * Resolves `.` and `..` segments and repeated slashes; `..` above a relative start is kept,
 * above the root dropped. A trailing slash is kept; an empty result is `.`.
 *
 * @example
 * ```ts
 * normalize("/a//b/../c/"); // "/a/c/"
 * normalize("../a/./b"); // "../a/b"
 * ```
 */
export function normalize(path: string): string {
  if (path === "") return ".";
  const absolute = isAbsolute(path);
  const body = normalizeSegments(path, !absolute);
  const trailing = path.endsWith("/") ? "/" : "";
  if (absolute) return body === "" ? "/" : `/${body}${trailing}`;
  return body === "" ? `.${trailing}` : `${body}${trailing}`;
}

/** The segments of `path` with `.`, `..` and empty ones resolved, joined by `/`. */
function normalizeSegments(path: string, keepAboveStart: boolean): string {
  const kept: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment !== "..") kept.push(segment);
    else if (kept.length > 0 && kept.at(-1) !== "..") kept.pop();
    else if (keepAboveStart) kept.push("..");
  }
  return kept.join("/");
}

/**
 * Joins the non-empty `parts` with `/` and normalizes the result.
 *
 * @example
 * ```ts
 * join("/etc/openshell", "gateways", "corp"); // "/etc/openshell/gateways/corp"
 * ```
 */
export function join(...parts: string[]): string {
  const joined = parts.filter((part) => part !== "").join("/");
  return joined === "" ? "." : normalize(joined);
}

/**
 * The absolute, normalized path that `parts` lead to, read right to left until one is
 * absolute; the working directory is the start when none is. No trailing slash.
 *
 * @example
 * ```ts
 * resolve("/srv", "a", "../b"); // "/srv/b"
 * ```
 */
export function resolve(...parts: string[]): string {
  let path = "";
  for (let i = parts.length - 1; i >= -1 && !isAbsolute(path); i--) {
    const part = i === -1 ? Deno.cwd() : parts[i]!;
    if (part !== "") path = path === "" ? part : `${part}/${path}`;
  }
  return `/${normalizeSegments(path, false)}`;
}

/**
 * The path from `from` to `to` (both resolved first); `""` when they are the same.
 *
 * @example
 * ```ts
 * relative("/a/b/c", "/a/d"); // "../../d"
 * ```
 */
export function relative(from: string, to: string): string {
  const source = resolve(from).split("/").filter((segment) => segment !== "");
  const target = resolve(to).split("/").filter((segment) => segment !== "");
  let common = 0;
  while (common < source.length && common < target.length && source[common] === target[common]) {
    common++;
  }
  const up = source.slice(common).map(() => "..");
  return [...up, ...target.slice(common)].join("/");
}

/**
 * Everything before the last segment; trailing slashes do not count as a segment.
 *
 * @example
 * ```ts
 * dirname("/etc/openshell/active_gateway"); // "/etc/openshell"
 * dirname("name"); // "."
 * ```
 */
export function dirname(path: string): string {
  if (path === "") return ".";
  let end = path.length;
  while (end > 1 && path[end - 1] === "/") end--; // trailing slashes
  while (end > 1 && path[end - 1] !== "/") end--; // the last segment
  if (end <= 1) return path.startsWith("/") ? "/" : ".";
  const dir = path.slice(0, end - 1);
  // "//" is a root of its own to node:path; further slashes before the segment stay.
  return dir === "/" ? "//" : dir;
}

/**
 * The last segment of `path`, trailing slashes ignored.
 *
 * @example
 * ```ts
 * basename("/etc/openshell/gateways/corp/"); // "corp"
 * ```
 */
export function basename(path: string): string {
  let end = path.length;
  while (end > 0 && path[end - 1] === "/") end--;
  return path.slice(path.lastIndexOf("/", end - 1) + 1, end);
}

/**
 * The path of a `file:` URL, percent-decoded.
 *
 * @throws {TypeError} for another scheme, a host other than `localhost`, or an encoded `/`.
 * @example
 * ```ts
 * fromFileUrl(new URL("file:///srv/a%20b")); // "/srv/a b"
 * ```
 */
export function fromFileUrl(url: URL | string): string {
  const parsed = typeof url === "string" ? new URL(url) : url;
  if (parsed.protocol !== "file:") throw new TypeError(`not a file URL: ${parsed.href}`);
  if (parsed.hostname !== "" && parsed.hostname !== "localhost") {
    throw new TypeError(`a file URL with a host is not a local path: ${parsed.href}`);
  }
  if (/%2f/i.test(parsed.pathname)) {
    throw new TypeError(`a file URL path must not hold an encoded "/": ${parsed.href}`);
  }
  return decodeURIComponent(parsed.pathname);
}
