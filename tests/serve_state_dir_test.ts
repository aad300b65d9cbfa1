import assert from "node:assert/strict";
import { decideRootStateDir, type StateDirFacts } from "../src/serve/_state_dir_rule.ts";

Deno.test("root mode takes a state dir only when it made it, it is 65532's, or empty and root's", () => {
  const verdicts: string[] = [];
  for (const created of [true, false]) {
    for (const isDirectory of [true, false]) {
      for (const uid of [0, 1000, 65532]) {
        for (const empty of [true, false]) {
          const facts: StateDirFacts = { created, isDirectory, uid, empty };
          const verdict = decideRootStateDir(facts, 65532);
          const text = verdict.action === "refuse" ? `refuse (${verdict.reason})` : verdict.action;
          verdicts.push(`${JSON.stringify(facts)} ${text}`);
          if (!isDirectory) {
            assert.deepEqual(verdict, { action: "refuse", reason: "is not a directory" });
          } else if (uid === 65532) assert.equal(verdict.action, "use");
          else if (created || (uid === 0 && empty)) assert.equal(verdict.action, "take");
          else assert.equal(verdict.action, "refuse");
        }
      }
    }
  }
  assert.equal(verdicts.length, 24);
  assert.deepEqual(
    decideRootStateDir({ created: false, isDirectory: true, uid: 1000, empty: true }, 65532),
    { action: "refuse", reason: "belongs to uid 1000" },
  );
  assert.deepEqual(
    decideRootStateDir({ created: false, isDirectory: true, uid: 0, empty: false }, 65532),
    { action: "refuse", reason: "is not empty" },
  );
});
