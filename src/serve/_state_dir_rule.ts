/**
 * Which state directory `serve` may hand to the container's root in root mode (host uid
 * 65532): one it has just created, one already 65532's, or an empty one owned by root.
 * Anything else belongs to someone, and taking it would change its ownership behind their
 * back.
 *
 * @module
 */

/** What is known about the state directory before it is used. */
export interface StateDirFacts {
  /** `serve` created it just now. */
  created: boolean;
  isDirectory: boolean;
  uid: number;
  empty: boolean;
}

/** `use`: as it is; `take`: hand it to the container's root; else why it is refused. */
export type StateDirVerdict =
  | { action: "use" }
  | { action: "take" }
  | { action: "refuse"; reason: string };

/**
 * Decides what to do with the state directory in root mode.
 *
 * @example
 * ```ts
 * decideRootStateDir({ created: false, isDirectory: true, uid: 1000, empty: false }, 65532);
 * // { action: "refuse", reason: "belongs to uid 1000" }
 * ```
 */
export function decideRootStateDir(facts: StateDirFacts, containerUid: number): StateDirVerdict {
  if (!facts.isDirectory) return { action: "refuse", reason: "is not a directory" };
  if (facts.uid === containerUid) return { action: "use" };
  if (facts.created) return { action: "take" };
  if (facts.uid !== 0) return { action: "refuse", reason: `belongs to uid ${facts.uid}` };
  if (!facts.empty) return { action: "refuse", reason: "is not empty" };
  return { action: "take" };
}
