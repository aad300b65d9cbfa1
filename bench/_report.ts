/**
 * Pure helpers of the benchmarks' reports: summaries of timed runs, figures against their
 * goals, and aligned rows.
 *
 * @module
 */

/** The median of `values` (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The smallest of `values`: the least disturbed run on a shared machine; NaN when empty. */
export function fastestOf(values: readonly number[]): number {
  return values.length === 0 ? NaN : Math.min(...values);
}

/** The median of the pairs' ratios `times[i] / baseline[i]`; NaN when there are none. */
export function pairedRatio(times: readonly number[], baseline: readonly number[]): number {
  return median(times.map((ms, i) => ms / baseline[i]!));
}

/** The median of the pairs' differences `times[i] - baseline[i]`; NaN when there are none. */
export function pairedDifference(times: readonly number[], baseline: readonly number[]): number {
  return median(times.map((ms, i) => ms - baseline[i]!));
}

/** A ratio with two decimals, e.g. `2.14x`; `-` when unknown. */
export function formatRatio(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : "-";
}

/** Milliseconds with one decimal, e.g. `19.8 ms`; `-` when unknown. */
export function formatMs(ms: number): string {
  return Number.isFinite(ms) ? `${ms.toFixed(1)} ms` : "-";
}

/** A difference in milliseconds with its sign, e.g. `+7.0 ms`; `-` when unknown. */
export function formatDeltaMs(ms: number): string {
  return Number.isFinite(ms) ? `${ms < 0 ? "-" : "+"}${Math.abs(ms).toFixed(1)} ms` : "-";
}

/** Kibibytes as megabytes with one decimal (1 MB = 1024 KiB, as `ps` and `time` count). */
export function formatMb(kib: number): string {
  return Number.isFinite(kib) ? `${(kib / 1024).toFixed(1)} MB` : "-";
}

/** A difference in kibibytes as megabytes with its sign, e.g. `+4.1 MB`; `-` when unknown. */
export function formatDeltaMb(kib: number): string {
  return Number.isFinite(kib)
    ? `${kib < 0 ? "-" : "+"}${(Math.abs(kib) / 1024).toFixed(1)} MB`
    : "-";
}

/**
 * A goal: a figure must stay at or below `limit`, printed as `<= {limit}{unit}` (ratios with one
 * decimal); with `atLeast`, at or above it (`>=`).
 */
export interface Goal {
  limit: number;
  unit: "x" | " ms" | " MB";
  atLeast?: boolean;
}

/** Whether a figure meets its goal; an unknown figure (NaN) never does. */
export function meets(value: number, goal: Goal): boolean {
  return Number.isFinite(value) && (goal.atLeast ? value >= goal.limit : value <= goal.limit);
}

/** The goal and the verdict, e.g. `goal <= 1.3x  MISSED`; `not measured` for NaN. */
export function formatGoal(value: number, goal: Goal): string {
  const verdict = Number.isNaN(value) ? "not measured" : meets(value, goal) ? "MET" : "MISSED";
  const limit = goal.unit === "x" ? goal.limit.toFixed(1) : String(goal.limit);
  return `goal ${goal.atLeast ? ">=" : "<="} ${limit}${goal.unit}  ${verdict}`;
}

/** One row of a table: each cell padded to its width, left-aligned, then right-aligned. */
export function formatRow(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((cell, i) => {
    const width = widths[i] ?? 0;
    return i === 0 ? cell.padEnd(width) : cell.padStart(width);
  }).join("  ").trimEnd();
}

/** One figure a benchmark checks against its goal, as the summary of a run lists it. */
export interface GoalFigure {
  /** What was measured, e.g. `--version vs an empty deno run`. */
  label: string;
  /** The figure in the goal's unit; NaN when it could not be measured. */
  value: number;
  goal: Goal;
  /** How it was measured or why not, e.g. `median of 10 pairs`. */
  note?: string;
}

/** A figure in its goal's unit: `1.24x`, `+31.0 ms`, `38.2 MB`; `-` when unknown. */
export function formatFigure(value: number, goal: Goal): string {
  if (!Number.isFinite(value)) return "-";
  if (goal.unit === "x") return formatRatio(value);
  return `${value.toFixed(1)}${goal.unit}`;
}

/** The summary table of a run: each figure, its goal and verdict, and how it was measured. */
export function formatSummary(figures: readonly GoalFigure[]): string[] {
  const widths = [Math.max(6, ...figures.map((f) => f.label.length)), 10];
  return [
    `${formatRow(["figure", "measured"], widths)}  goal`,
    ...figures.map((f) => {
      const note = f.note === undefined ? "" : `  (${f.note})`;
      const cells = formatRow([f.label, formatFigure(f.value, f.goal)], widths);
      return `${cells}  ${formatGoal(f.value, f.goal)}${note}`;
    }),
  ];
}
