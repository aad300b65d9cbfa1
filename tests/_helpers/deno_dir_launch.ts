/**
 * What one launch does with the gateway's Deno cache template, as a process of its own: takes
 * it (made, or made again when stale), stages this start's part from it at `target`, and holds
 * it for `holdMs` (as a launch does until its runtime has bound it). Prints one JSON line: the
 * template's record, and whether the template was still the same directory, with the gateway's
 * entry emitted, at the end; `{}` when it had no template.
 *
 * `deno run -A deno_dir_launch.ts <runtimeDir> <rootfs> <sourceDir> <target> <holdMs>`
 */
import { join } from "node:path";
import { CONTAINER_PATHS } from "../../src/contract/mod.ts";
import { ensureDenoDirTemplate, stageDenoDir } from "../../src/container/mod.ts";

const [runtimeDir, rootfs, sourceDir, target, holdMs] = Deno.args as [
  string,
  string,
  string,
  string,
  string,
];
using template = await ensureDenoDirTemplate({
  runtimeDir,
  rootfs,
  binary: Deno.execPath(),
  sourceDir,
  uid: Deno.uid()!,
});
if (template === undefined) {
  console.log("{}");
} else {
  const identity = (path: string) => {
    const info = Deno.statSync(path);
    return `${info.dev}:${info.ino}`;
  };
  const taken = identity(template.path);
  const record = JSON.parse(Deno.readTextFileSync(join(template.path, "openshell-template.json")));
  stageDenoDir(template.path, target);
  await new Promise((resolve) => setTimeout(resolve, Number(holdMs)));
  let same = false;
  let entry = false;
  try {
    same = identity(template.path) === taken;
    entry = Deno.statSync(join(template.path, "gen/file", `${CONTAINER_PATHS.serverEntry}.js`))
      .isFile;
  } catch {
    // gone
  }
  console.log(JSON.stringify({ record, same, entry }));
}
