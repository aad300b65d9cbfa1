// These tests look for escape sequences on purpose.
// deno-lint-ignore-file no-control-regex
import assert from "node:assert/strict";
import { paneHeight, renderScreen, titleText } from "../src/term/_screen_lines.ts";
import { paintScreen } from "../src/term/_screen_paint.ts";
import { keyFromTerminalKit } from "../src/term/_terminal_keys.ts";
import { displayWidth } from "../src/term/_text_width.ts";
import {
  initialState,
  type PaneRow,
  reduce,
  type RegistrySnapshot,
  rowKey,
  type TermState,
} from "../src/term/term_state.ts";

const ROWS: PaneRow[] = [
  {
    kind: "gateway",
    name: "corp",
    type: "remote",
    source: "system",
    endpoint: "https://corp.example:8443",
  },
  {
    kind: "gateway",
    name: "dev",
    type: "local",
    source: "user",
    endpoint: "http://127.0.0.1:8080",
  },
  {
    kind: "problem",
    name: "zz-broken",
    source: "user",
    path: "/cfg/gateways/zz-broken/metadata.json",
    message: "Unexpected token",
  },
];

function state(
  snapshot: Partial<RegistrySnapshot> = {},
  health: Record<string, "healthy" | "unreachable"> = {},
): TermState {
  let next = reduce(initialState("0.1.0"), {
    type: "registry",
    snapshot: {
      rows: ROWS,
      active: undefined,
      activeError: undefined,
      error: undefined,
      ...snapshot,
    },
  }).state;
  for (const [endpoint, verdict] of Object.entries(health)) {
    for (const row of ROWS.filter((row) => row.kind === "gateway" && row.endpoint === endpoint)) {
      const key = rowKey(row);
      next = reduce(next, { type: "health", key, health: { verdict, version: null, auth: null } })
        .state;
    }
  }
  return next;
}

const texts = (s: TermState, columns = 100, rows = 12) =>
  renderScreen(s, { columns, rows }).map((line) => line.text);

Deno.test("the title names the current gateway, its source in brackets and its status", () => {
  const active = { name: "corp", reason: "user" as const };
  assert.equal(
    titleText(state({ active }, { "https://corp.example:8443": "healthy" })),
    "openshell 0.1.0 · Current gateway: corp [system] (healthy)",
  );
  assert.equal(
    titleText(state({ active: { name: "dev", reason: "user" } })),
    "openshell 0.1.0 · Current gateway: dev [user] (checking)",
  );
  assert.equal(
    titleText(
      state({ active: { name: "dev", reason: "env" } }, { "http://127.0.0.1:8080": "unreachable" }),
    ),
    "openshell 0.1.0 · Current gateway: dev [user] (unreachable) via OPENSHELL_GATEWAY",
  );
  assert.equal(
    titleText(state({ active: { name: "dev", reason: "flag" } })),
    "openshell 0.1.0 · Current gateway: dev [user] (checking) via --gateway",
  );
  assert.equal(
    titleText(state({ active: { name: "zz-broken", reason: "user" } })),
    "openshell 0.1.0 · Current gateway: zz-broken [user] (error)",
  );
});

Deno.test("the title says clearly when there is no gateway, or why it cannot tell", () => {
  assert.equal(titleText(initialState("0.1.0")), "openshell 0.1.0 · Reading the registry");
  assert.equal(titleText(state()), "openshell 0.1.0 · No gateway selected");
  assert.equal(
    titleText(state({ activeError: "Gateway 'gone' not found" })),
    "openshell 0.1.0 · Current gateway: Gateway 'gone' not found",
  );
  assert.equal(
    titleText(state({ active: { name: "gone", reason: "system" } })),
    "openshell 0.1.0 · Current gateway: gone (not found)",
  );
});

Deno.test("the pane shows NAME TYPE SOURCE ENDPOINT STATUS, the cursor and the active marker", () => {
  const lines = texts(
    state({ active: { name: "dev", reason: "user" } }, { "http://127.0.0.1:8080": "healthy" }),
  );
  assert.equal(lines[1], "");
  assert.equal(
    lines[2],
    "   NAME      TYPE   SOURCE ENDPOINT                  STATUS",
  );
  assert.equal(
    lines[3],
    "   corp      remote system https://corp.example:8443 checking",
  );
  assert.equal(
    lines[4],
    ">* dev       local  user   http://127.0.0.1:8080     healthy",
    "the cursor starts on the active gateway",
  );
  assert.equal(
    lines[5],
    "   zz-broken -      user   error: Unexpected token   error",
  );
});

Deno.test("the screen has exactly one line per terminal row, the footer last", () => {
  for (const rows of [1, 2, 5, 12, 40]) {
    const lines = renderScreen(state(), { columns: 80, rows });
    assert.equal(lines.length, rows, `rows ${rows}`);
    if (rows > 1) assert.equal(lines[0]!.style, "title");
    assert.ok(["footer", "info", "error"].includes(lines.at(-1)!.style), `rows ${rows}`);
  }
  assert.deepEqual(renderScreen(state(), { columns: 80, rows: 0 }), []);
});

Deno.test("no line is ever wider than the terminal; cut text ends in an ellipsis", () => {
  const long: PaneRow[] = [
    ...ROWS,
    {
      kind: "gateway",
      name: "a-very-long-gateway-name-indeed",
      type: "cloud",
      source: "user",
      endpoint: "https://" + "x".repeat(80),
    },
    {
      kind: "gateway",
      name: "網關網關網關",
      type: "local",
      source: "system",
      endpoint: "http://[::1]:9",
    },
  ];
  for (const columns of [0, 1, 5, 20, 40, 41, 60, 80, 200]) {
    const s = reduce(state({ active: { name: "corp", reason: "user" } }), {
      type: "registry",
      snapshot: {
        rows: long,
        active: { name: "corp", reason: "user" },
        activeError: undefined,
        error: undefined,
      },
    }).state;
    for (const line of renderScreen(s, { columns, rows: 12 })) {
      assert.ok(displayWidth(line.text) <= columns, `${columns}: ${JSON.stringify(line.text)}`);
      assert.ok(!line.text.includes("\n"));
    }
  }
});

Deno.test("at 40 columns SOURCE stays readable and long values end in …", () => {
  const lines = texts(state({ active: { name: "corp", reason: "user" } }), 40);
  assert.equal(lines[0], "openshell 0.1.0 · Current gateway: corp…");
  assert.match(lines[2]!, /^ {3}NAME +TYPE +SOURCE ENDP/);
  assert.match(lines[3]!, /^>\* corp +remote system https… checking$/);
  assert.match(lines[4]!, /^ {3}dev +local +user +http:… checking$/);
  for (const line of lines) assert.ok(displayWidth(line) <= 40);
});

Deno.test("too narrow for the full words, STATUS keeps a short readable form", () => {
  const health = { "http://127.0.0.1:8080": "healthy", "https://corp.example:8443": "unreachable" };
  for (const columns of [33, 35, 37]) {
    const lines = texts(state({}, health as Record<string, "healthy">), columns);
    assert.match(lines[2]!, /STATUS$/, `${columns}`);
    assert.match(lines[3]!, / down$/, `${columns}: ${lines[3]}`);
    assert.match(lines[4]!, / ok$/, `${columns}: ${lines[4]}`);
    assert.match(lines[5]!, / error$/, `${columns}: ${lines[5]}`);
    for (const line of lines) assert.ok(displayWidth(line) <= columns, `${columns}: ${line}`);
  }
  assert.match(texts(state({}, health as Record<string, "healthy">), 38)[3]!, / unreachable$/);
});

Deno.test("control characters from registry files never reach the screen", () => {
  const evil: PaneRow[] = [
    {
      kind: "gateway",
      name: "ev\x1b[2Jil",
      type: "local\x07",
      source: "user",
      endpoint: "http://x\r\n",
    },
    {
      kind: "problem",
      name: "b\x1bad",
      source: "user",
      path: "/p\x1b",
      message: "bad\x1b]0;pwned\x07",
    },
  ];
  const s = reduce(initialState("0.1.0"), {
    type: "registry",
    snapshot: {
      rows: evil,
      active: { name: "ev\x1b[2Jil", reason: "user" },
      activeError: undefined,
      error: undefined,
    },
  }).state;
  for (
    const line of [...texts(s), ...texts(reduce(s, { type: "key", key: "j", pageSize: 5 }).state)]
  ) {
    assert.doesNotMatch(line, /[\x00-\x1f\x7f]/);
  }
});

Deno.test("an empty registry says so and how to add a gateway", () => {
  const lines = texts(state({ rows: [] }));
  assert.equal(lines[2], "No gateways found.");
  assert.match(lines[4]!, /openshell gateway add <endpoint>/);
});

Deno.test("a registry that cannot be read is shown as an error, not a crash", () => {
  const lines = renderScreen(
    state({ rows: [], error: 'Cannot read "/cfg/gateways": permission denied' }),
    { columns: 100, rows: 8 },
  );
  assert.equal(lines[2]!.style, "error");
  assert.equal(
    lines[2]!.text,
    'Cannot read the registry: Cannot read "/cfg/gateways": permission denied',
  );
});

Deno.test("before the first read the pane says it is reading", () => {
  assert.equal(texts(initialState("0.1.0"))[2], "Reading the registry…");
});

Deno.test("the footer shows key hints, the confirmation question, notices, or a broken entry's path", () => {
  assert.match(
    texts(state()).at(-1)!,
    /^↑↓\/jk move {2}Enter select {2}d remove {2}r refresh {2}\? help {2}q quit/,
  );
  const asked = reduce(reduce(state(), { type: "key", key: "j", pageSize: 5 }).state, {
    type: "key",
    key: "d",
    pageSize: 5,
  }).state;
  assert.match(texts(asked).at(-1)!, /^Remove user gateway 'dev'\? y\/n/);
  const noticed =
    reduce(state(), { type: "notice", notice: { kind: "error", text: "nope" } }).state;
  const footer = renderScreen(noticed, { columns: 30, rows: 8 }).at(-1)!;
  assert.equal(footer.style, "error");
  assert.equal(footer.text, "nope" + " ".repeat(26));
  const onBroken = { ...state(), cursor: 2 };
  assert.match(texts(onBroken).at(-1)!, /^\/cfg\/gateways\/zz-broken\/metadata\.json/);
});

Deno.test("help replaces the pane and lists every key", () => {
  const help = reduce(state(), { type: "key", key: "?", pageSize: 5 }).state;
  const body = texts(help, 100, 20).join("\n");
  for (const needle of ["Enter", "d ", "r ", "q  Ctrl-C", "every 2 s", "/healthz"]) {
    assert.ok(body.includes(needle), needle);
  }
  assert.match(texts(help, 100, 20).at(-1)!, /^Press any key to go back/);
});

Deno.test("the pane scrolls to keep the cursor visible", () => {
  const rows: PaneRow[] = Array.from({ length: 30 }, (_, i) => ({
    kind: "gateway",
    name: `gw${String(i).padStart(2, "0")}`,
    type: "local",
    source: "user",
    endpoint: `http://127.0.0.1:${9000 + i}`,
  }));
  let s = reduce(initialState("0.1.0"), {
    type: "registry",
    snapshot: { rows, active: undefined, activeError: undefined, error: undefined },
  }).state;
  const height = 10;
  assert.equal(paneHeight(height), 5);
  const visibleNames = () =>
    texts(s, 80, height).slice(3, 3 + paneHeight(height)).map((line) => line.slice(3, 7));
  assert.deepEqual(visibleNames(), ["gw00", "gw01", "gw02", "gw03", "gw04"]);
  s = { ...s, cursor: 7 };
  assert.deepEqual(visibleNames(), ["gw03", "gw04", "gw05", "gw06", "gw07"]);
  assert.ok(texts(s, 80, height)[7]!.startsWith(">  gw07"));
  s = { ...s, cursor: 29 };
  assert.deepEqual(visibleNames(), ["gw25", "gw26", "gw27", "gw28", "gw29"]);
});

Deno.test("painting positions every line and clears its rest; colour only when asked", () => {
  const lines = renderScreen(state({}, { "http://127.0.0.1:8080": "healthy" }), {
    columns: 80,
    rows: 8,
  });
  const plain = paintScreen(lines, false);
  for (let row = 1; row <= 6; row++) assert.ok(plain.includes(`\x1b[${row};1H`), `row ${row}`);
  assert.equal(plain.split("\x1b[K").length - 1, 8);
  assert.doesNotMatch(plain, /\x1b\[3[0-9]m/);
  assert.match(plain, /\x1b\[1;7mopenshell 0\.1\.0/);
  const colored = paintScreen(lines, true);
  assert.match(colored, /\x1b\[32mhealthy\x1b\[0m/);
  assert.match(colored, /\x1b\[33mchecking\x1b\[0m/);
  assert.equal(
    colored.replace(/\x1b\[[0-9;]*[mHK]/g, ""),
    plain.replace(/\x1b\[[0-9;]*[mHK]/g, ""),
  );
});

Deno.test("terminal-kit key names map to the reducer's names; other keys are ignored", () => {
  const expected: Record<string, string | undefined> = {
    UP: "up",
    DOWN: "down",
    HOME: "home",
    END: "end",
    PAGE_UP: "pageup",
    PAGE_DOWN: "pagedown",
    ENTER: "enter",
    KP_ENTER: "enter",
    ESCAPE: "escape",
    CTRL_C: "ctrl-c",
    j: "j",
    "?": "?",
    G: "G",
    F5: undefined,
    CTRL_D: undefined,
    "\x01": undefined,
  };
  for (const [name, key] of Object.entries(expected)) {
    assert.equal(keyFromTerminalKit(name), key, name);
  }
});

Deno.test("a gateway served on this machine shows TYPE served", () => {
  const rows = ROWS.map((row) => row.name === "dev" ? { ...row, served: true } : row);
  const lines = texts(state({ rows }, { "http://127.0.0.1:8080": "healthy" }));
  assert.equal(lines[4], "   dev       served user   http://127.0.0.1:8080     healthy");
  assert.match(lines[3]!, /^> {2}corp {6}remote system/);
});

Deno.test("STATUS carries the version and authentication outcome where they fit", () => {
  const corp = ROWS[0]!;
  const answered = reduce(state(), {
    type: "health",
    key: rowKey(corp),
    health: { verdict: "healthy", version: "0.0.112", auth: "authenticated" },
  }).state;
  assert.match(texts(answered, 100)[3]!, / healthy 0\.0\.112 authenticated$/);
  // Narrow: the word alone, then the short word.
  assert.match(texts(answered, 60)[3]!, / healthy$/);
  assert.match(texts(answered, 34)[3]!, / ok$/);
});
