/**
 * The floor under `gateway list` with many gateways: scripts that do nothing but read every
 * `gateways/<name>/metadata.json` of the user and system registries the environment names, as
 * the program must (`checked`: a look first, since opening a named pipe would block, then one
 * read capped at what the look saw, into one buffer), or with one unchecked call per file
 * (`unchecked`: `Deno.readTextFileSync`, which the program cannot use). Each parses the JSON.
 * Timed next to the program, they show how much of its time Deno's per-file calls take
 * whatever the program does.
 *
 * @module
 */
import { join } from "node:path";

const ROOTS = `const roots = [
  \`\${Deno.env.get("XDG_CONFIG_HOME")}/openshell/gateways\`,
  \`\${Deno.env.get("OPENSHELL_SYSTEM_GATEWAY_DIR")}/gateways\`,
];
let entries = 0;
`;

/** The scripts, by kind. */
export const FLOOR_SCRIPTS = {
  checked: `${ROOTS}const decoder = new TextDecoder();
const buffer = new Uint8Array(16 * 1024);
for (const dir of roots) {
  for (const { name } of Deno.readDirSync(dir)) {
    const path = \`\${dir}/\${name}/metadata.json\`;
    const info = Deno.statSync(path);
    if (!info.isFile || info.size >= buffer.length) throw new Error(\`\${path}: not a small file\`);
    const file = Deno.openSync(path);
    const read = file.readSync(buffer.subarray(0, info.size + 1)) ?? 0;
    file.close();
    entries += JSON.parse(decoder.decode(buffer.subarray(0, read))).name ? 1 : 0;
  }
}
if (entries === 0) throw new Error("no metadata file read");
`,
  unchecked: `${ROOTS}for (const dir of roots) {
  for (const { name } of Deno.readDirSync(dir)) {
    entries += JSON.parse(Deno.readTextFileSync(\`\${dir}/\${name}/metadata.json\`)).name ? 1 : 0;
  }
}
if (entries === 0) throw new Error("no metadata file read");
`,
} as const;

/** One of the {@linkcode FLOOR_SCRIPTS}. */
export type FloorKind = keyof typeof FLOOR_SCRIPTS;

/** How each kind reads a file, in the words a report prints (at most 38 characters). */
export const FLOOR_LABELS: Record<FloorKind, string> = {
  checked: "a look, then a capped read (as needed)",
  unchecked: "one unchecked Deno.readTextFileSync",
};

/** Writes the scripts into `dir`; returns their paths by kind. */
export function writeFloorScripts(dir: string): Record<FloorKind, string> {
  const paths = {} as Record<FloorKind, string>;
  for (const kind of Object.keys(FLOOR_SCRIPTS) as FloorKind[]) {
    paths[kind] = join(dir, `registry-floor-${kind}.ts`);
    Deno.writeTextFileSync(paths[kind], FLOOR_SCRIPTS[kind]);
  }
  return paths;
}
