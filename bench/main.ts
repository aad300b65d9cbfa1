/**
 * Every benchmark: each `bench/<area>_bench.ts` runs when imported and prints its ratios
 * against a baseline measured in the same run.
 *
 * @module
 */
import "./bundle_bench.ts";
