// The consistency checker's history and stale-read definition live in src/ so the benchmarks count stale reads the same way.
export * from "../../src/consistency/history.js";
