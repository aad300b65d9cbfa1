/**
 * `-o yaml` and tables print what earlier versions printed with `npm:yaml` 2 and
 * `npm:cli-table3`: `yaml_text_cases.json` holds values (the strings that YAML treats
 * specially, long and multi-line text at every depth, random nested documents) with the text
 * `npm:yaml` 2.9.1 wrote for each; `table_cases.json` tables (wide characters, emoji,
 * combining marks, empty cells) as cli-table3 0.6.5 drew them.
 */
import assert from "node:assert/strict";
import { yamlText } from "../src/cli/_yaml_text.ts";
import { renderTable, renderYaml } from "../src/cli/_output.ts";

interface Case {
  value: unknown;
  yaml: string;
}

const CASES = JSON.parse(
  await Deno.readTextFile(new URL("./testdata/yaml_text_cases.json", import.meta.url)),
) as Case[];

Deno.test("YAML text is byte for byte what npm:yaml wrote", async () => {
  assert.ok(CASES.length > 1000);
  for (const { value, yaml } of CASES) assert.equal(yamlText(value), yaml, JSON.stringify(value));
  assert.equal(await renderYaml(CASES[0]!.value), CASES[0]!.yaml);
});

Deno.test("values JSON cannot hold are written as npm:yaml wrote them", () => {
  assert.equal(yamlText({ k: "\ud800" }), 'k: "\\ud800"\n');
  assert.equal(yamlText([NaN, Infinity, -Infinity, -0]), "- .nan\n- .inf\n- -.inf\n- -0\n");
  assert.equal(yamlText({ a: undefined, b: 1 }), "b: 1\n");
  assert.equal(yamlText({ a: undefined }), "{}\n");
});

Deno.test("an object met again is an alias of its first occurrence, as npm:yaml wrote it", () => {
  const labels = { app: "openshell", tier: "gateway" };
  const empty: unknown[] = [];
  const value = {
    metadata: { labels },
    selector: { matchLabels: labels },
    list: [labels, empty, { e: empty }],
    again: [labels],
  };
  assert.equal(
    yamlText(value),
    "metadata:\n  labels: &a1\n    app: openshell\n    tier: gateway\nselector:\n" +
      "  matchLabels: *a1\nlist:\n  - *a1\n  - &a2 []\n  - e: *a2\nagain:\n  - *a1\n",
  );
});

Deno.test("tables are byte for byte what cli-table3 drew", async () => {
  const cases = JSON.parse(
    await Deno.readTextFile(new URL("./testdata/table_cases.json", import.meta.url)),
  ) as { head: string[]; rows: string[][]; text: string }[];
  assert.ok(cases.length > 200);
  for (const { head, rows, text } of cases) {
    assert.equal(await renderTable(head, rows), text, JSON.stringify([head, rows]));
  }
});

Deno.test("tables pad by terminal cells and drop trailing space", async () => {
  const table = await renderTable(["  NAME", "ENDPOINT", "X"], [
    ["* 網關", "http://127.0.0.1:8080", ""],
    ["  😀👍🏽", "e\u0301", "y"],
  ]);
  assert.equal(
    table,
    [
      "  NAME  ENDPOINT               X",
      "* 網關  http://127.0.0.1:8080",
      "  😀👍🏽  e\u0301                      y",
    ].join("\n"),
  );
});

Deno.test("tables of printable ASCII keep the layout: ragged and empty rows, blank cells", () => {
  const cases: [string[], string[][], string][] = [
    [
      ["  NAME", "ENDPOINT", "AUTH"],
      [["* a", "http://h:1 ", "mtls"], [], ["  bb", "x"], ["  c", "", ""]],
      "  NAME  ENDPOINT     AUTH\n* a     http://h:1   mtls\n  bb    x\n  c",
    ],
    [[], [["a", "b"], ["ccc"]], "a    b\nccc"],
    [["A"], [], "A"],
    [["A", "B"], [["", ""]], "A  B\n"],
  ];
  for (const [head, rows, text] of cases) assert.equal(renderTable(head, rows), text);
  // The same table with one wide cell is measured cell by cell, and lines up the same way.
  assert.equal(
    renderTable(["  NAME", "X"], [["* 網", "y"], ["  ab", "z"]]),
    "  NAME  X\n* 網    y\n  ab    z",
  );
});
