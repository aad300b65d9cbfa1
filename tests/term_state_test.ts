import assert from "node:assert/strict";
import {
  initialState,
  type PaneRow,
  reduce,
  type RegistrySnapshot,
  rowDetail,
  rowKey,
  rowStatus,
  selectedRow,
  type TermAction,
  type TermState,
} from "../src/term/term_state.ts";

const user = (name: string, endpoint = `http://127.0.0.1:1/${name}`): PaneRow => ({
  kind: "gateway",
  name,
  type: "local",
  source: "user",
  endpoint,
});
const system = (name: string, endpoint = `https://${name}.example`): PaneRow => ({
  kind: "gateway",
  name,
  type: "remote",
  source: "system",
  endpoint,
});
const broken = (name: string, source: "user" | "system" = "user"): PaneRow => ({
  kind: "problem",
  name,
  source,
  path: `/x/${name}/metadata.json`,
  message: "Unexpected end of JSON input",
});

function snapshot(rows: PaneRow[], active?: string): RegistrySnapshot {
  return {
    rows,
    active: active === undefined ? undefined : { name: active, reason: "user" },
    activeError: undefined,
    error: undefined,
  };
}

function loaded(rows: PaneRow[], cursor = 0): TermState {
  return { ...reduce(initialState("0.1.0"), registry(rows)).state, cursor };
}

const registry = (rows: PaneRow[], active?: string): TermAction => ({
  type: "registry",
  snapshot: snapshot(rows, active),
});
const key = (name: string, pageSize = 5): TermAction => ({ type: "key", key: name, pageSize });

/** Presses keys in order; returns the final state and every effect asked for. */
function press(state: TermState, ...keys: string[]) {
  const effects = [];
  for (const name of keys) {
    const reduction = reduce(state, key(name));
    state = reduction.state;
    if (reduction.effect) effects.push(reduction.effect);
  }
  return { state, effects };
}

const THREE = [user("alpha"), system("corp"), user("dev")];

Deno.test("the initial state is browsing with nothing read yet", () => {
  const state = initialState("1.2.3");
  assert.equal(state.version, "1.2.3");
  assert.equal(state.snapshot, undefined);
  assert.equal(state.mode, "browse");
  assert.equal(selectedRow(state), undefined);
});

Deno.test("down/j and up/k move the cursor and stop at both ends", () => {
  const state = loaded(THREE);
  assert.equal(press(state, "down").state.cursor, 1);
  assert.equal(press(state, "j", "j").state.cursor, 2);
  assert.equal(press(state, "j", "j", "j", "down").state.cursor, 2);
  assert.equal(press(state, "j", "j", "k").state.cursor, 1);
  assert.equal(press(state, "up").state.cursor, 0);
  assert.equal(press(state, "k", "k").state.cursor, 0);
});

Deno.test("home/g, end/G and page keys jump within the list", () => {
  const rows = Array.from({ length: 20 }, (_, i) => user(`gw${String(i).padStart(2, "0")}`));
  const state = loaded(rows);
  assert.equal(press(state, "end").state.cursor, 19);
  assert.equal(press(state, "G", "home").state.cursor, 0);
  assert.equal(press(state, "G", "g").state.cursor, 0);
  assert.equal(reduce(state, key("pagedown", 7)).state.cursor, 7);
  assert.equal(
    press(state, "pagedown", "pagedown", "pagedown", "pagedown", "pagedown").state.cursor,
    19,
  );
  assert.equal(reduce(loaded(rows, 10), key("pageup", 7)).state.cursor, 3);
  assert.equal(reduce(loaded(rows, 3), key("pageup", 7)).state.cursor, 0);
  assert.equal(reduce(loaded(rows, 3), key("pagedown", 0)).state.cursor, 4);
});

Deno.test("moving in an empty or unread registry keeps the cursor at 0 and asks nothing", () => {
  for (const state of [initialState("0.1.0"), loaded([])]) {
    for (const name of ["up", "down", "j", "k", "end", "G", "home", "pagedown", "enter", "d"]) {
      const reduction = reduce(state, key(name));
      assert.equal(reduction.state.cursor, 0, name);
      assert.equal(reduction.effect, undefined, name);
    }
  }
});

Deno.test("Enter asks to select the gateway under the cursor, system and user alike", () => {
  assert.deepEqual(press(loaded(THREE), "enter").effects, [{ kind: "select", name: "alpha" }]);
  assert.deepEqual(press(loaded(THREE), "j", "enter").effects, [{ kind: "select", name: "corp" }]);
  assert.deepEqual(press(loaded(THREE), "G", "enter").effects, [{ kind: "select", name: "dev" }]);
});

Deno.test("Enter on an unreadable entry selects nothing and says why", () => {
  const { state, effects } = press(loaded([broken("bad")]), "enter");
  assert.deepEqual(effects, []);
  assert.equal(state.notice?.kind, "error");
  assert.match(state.notice?.text ?? "", /Cannot select 'bad': Unexpected end of JSON input/);
});

Deno.test("d on a user entry asks for confirmation; y removes it", () => {
  const asked = press(loaded(THREE), "d");
  assert.equal(asked.state.mode, "confirm-remove");
  assert.equal(asked.state.pendingRemoval, "alpha");
  assert.deepEqual(asked.effects, []);
  const confirmed = press(asked.state, "y");
  assert.equal(confirmed.state.mode, "browse");
  assert.equal(confirmed.state.pendingRemoval, undefined);
  assert.deepEqual(confirmed.effects, [{ kind: "remove", name: "alpha", confirmed: true }]);
  assert.deepEqual(press(asked.state, "Y").effects, [{
    kind: "remove",
    name: "alpha",
    confirmed: true,
  }]);
});

Deno.test("any answer but y keeps the entry", () => {
  for (const answer of ["n", "N", "escape", "enter", "q", "d", "x"]) {
    const { state, effects } = press(loaded(THREE), "d", answer);
    assert.deepEqual(effects, [], answer);
    assert.equal(state.mode, "browse", answer);
    assert.equal(state.notice?.text, "Kept gateway 'alpha'", answer);
  }
});

Deno.test("Ctrl-C quits from every mode, even while confirming", () => {
  const browse = loaded(THREE);
  const help = press(browse, "?").state;
  const confirm = press(browse, "d").state;
  for (const state of [browse, help, confirm, initialState("0.1.0")]) {
    assert.deepEqual(reduce(state, key("ctrl-c")).effect, { kind: "quit" });
  }
});

Deno.test("q quits from browsing and from help", () => {
  assert.deepEqual(press(loaded(THREE), "q").effects, [{ kind: "quit" }]);
  assert.deepEqual(press(loaded(THREE), "?", "q").effects, [{ kind: "quit" }]);
});

Deno.test("d on a system entry asks the registry at once, with no confirmation", () => {
  const { state, effects } = press(loaded(THREE), "j", "d");
  assert.equal(state.mode, "browse");
  assert.deepEqual(effects, [{ kind: "remove", name: "corp", confirmed: false }]);
  const problem = press(loaded([broken("sysbad", "system")]), "d");
  assert.deepEqual(problem.effects, [{ kind: "remove", name: "sysbad", confirmed: false }]);
});

Deno.test("d on an unreadable user entry can remove it after confirmation", () => {
  const { effects } = press(loaded([broken("bad")]), "d", "y");
  assert.deepEqual(effects, [{ kind: "remove", name: "bad", confirmed: true }]);
});

Deno.test("? opens help, any other key closes it without acting", () => {
  const help = press(loaded(THREE), "?");
  assert.equal(help.state.mode, "help");
  for (const name of ["?", "escape", "enter", "j", "d"]) {
    const back = press(help.state, name);
    assert.equal(back.state.mode, "browse", name);
    assert.deepEqual(back.effects, [], name);
    assert.equal(back.state.cursor, 0, name);
  }
});

Deno.test("r asks for a refresh and says so", () => {
  const { state, effects } = press(loaded(THREE), "r");
  assert.deepEqual(effects, [{ kind: "refresh" }]);
  assert.equal(state.notice?.text, "Refreshing");
});

Deno.test("a key press clears the previous notice; unknown keys do nothing else", () => {
  const noticed = reduce(loaded(THREE), {
    type: "notice",
    notice: { kind: "error", text: "boom" },
  }).state;
  assert.equal(noticed.notice?.text, "boom");
  const after = reduce(noticed, key("x"));
  assert.equal(after.state.notice, undefined);
  assert.equal(after.effect, undefined);
  assert.equal(after.state.cursor, 0);
});

Deno.test("the first read puts the cursor on the active gateway, later reads do not move it", () => {
  let state = reduce(initialState("0.1.0"), registry(THREE, "dev")).state;
  assert.equal(state.cursor, 2);
  state = press(state, "up").state;
  state = reduce(state, registry(THREE, "dev")).state;
  assert.equal(state.cursor, 1);
  assert.equal(reduce(initialState("0.1.0"), registry(THREE, "gone")).state.cursor, 0);
});

Deno.test("a new registry read keeps the cursor on the same gateway", () => {
  const state = press(loaded(THREE), "j").state; // on corp
  const next = reduce(state, registry([user("aaa"), user("alpha"), system("corp"), user("dev")]));
  assert.equal(selectedRow(next.state)?.name, "corp");
  assert.equal(next.state.cursor, 2);
});

Deno.test("when the selected gateway disappears the cursor stays in place, within the list", () => {
  const onDev = press(loaded(THREE), "G").state;
  const shorter = reduce(onDev, registry([user("alpha"), system("corp")])).state;
  assert.equal(shorter.cursor, 1);
  const empty = reduce(onDev, registry([])).state;
  assert.equal(empty.cursor, 0);
  assert.equal(selectedRow(empty), undefined);
  const onCorp = press(loaded(THREE), "j").state;
  assert.equal(reduce(onCorp, registry([user("alpha"), user("dev")])).state.cursor, 1);
});

Deno.test("a confirmation is dropped when its entry stops being a user entry", () => {
  const asked = press(loaded(THREE), "d").state;
  const gone = reduce(asked, registry([system("alpha"), system("corp")])).state;
  assert.equal(gone.mode, "browse");
  assert.equal(gone.pendingRemoval, undefined);
  assert.equal(gone.notice?.text, "Gateway 'alpha' is no longer a user entry");
  const still = reduce(asked, registry([user("alpha")])).state;
  assert.equal(still.mode, "confirm-remove");
  assert.equal(still.pendingRemoval, "alpha");
});

const health = (
  verdict: "healthy" | "unhealthy" | "unreachable",
  version: string | null = null,
) => ({
  verdict,
  version,
  auth: version === null ? null : "authenticated" as const,
});

Deno.test("health results are kept per registration; rows show checking until one arrives", () => {
  // Two registrations of one endpoint: their certificates may differ, so may their results.
  let state = loaded([user("a", "http://h:1"), user("b", "http://h:1"), broken("c")]);
  const [a, b, c] = state.snapshot!.rows as [PaneRow, PaneRow, PaneRow];
  assert.equal(rowStatus(state, a), "checking");
  assert.equal(rowDetail(state, a), "");
  state = reduce(state, { type: "health", key: rowKey(a), health: health("healthy", "0.1.0") })
    .state;
  state = reduce(state, { type: "health", key: rowKey(b), health: health("unreachable") }).state;
  assert.equal(rowStatus(state, a), "healthy");
  assert.equal(rowDetail(state, a), "0.1.0 authenticated");
  assert.equal(rowStatus(state, b), "unreachable");
  assert.equal(rowDetail(state, b), "");
  assert.equal(rowStatus(state, c), "error");
  state = reduce(state, { type: "health", key: rowKey(a), health: health("unhealthy") }).state;
  assert.equal(rowStatus(state, a), "unhealthy");
});

Deno.test("reduce never changes the state it was given", () => {
  const state = loaded(THREE);
  const copy = structuredClone(state);
  for (const name of ["j", "d", "y", "?", "enter", "r", "q", "G"]) reduce(state, key(name));
  reduce(state, registry([]));
  reduce(state, { type: "health", key: "user/x", health: health("healthy") });
  assert.deepEqual(state, copy);
});
