import type { History } from "@hoard/api";

/**
 * The fewest loads that could have given a round's answers: every version of a row (or its absence) that a
 * read returned must have been loaded at least once, and loads shared by several reads count once. Counts
 * the versions first returned by a read that began at or after `from` (the clock of the history's records);
 * a version returned before `from` may still be cached, so it costs nothing after. Caches start empty every
 * round, so in a short round most of these are the first reads of each id.
 *
 * A strict lower bound for a cache that never writes a row it did not load (delete after a write, as every
 * variant of row 10 does): a version it serves came from a load. A cache that serves stale versions can only
 * lower its count by serving versions it loaded before; a read that began while a write ran and loaded the new
 * row in one go counts once, as it should.
 */
export function necessaryLoads(history: History, from = 0): number {
  const reads = history.reads.filter((read) => read.ok).sort((a, b) => a.startAt - b.startAt);
  // The versions each id was returned with (versionOf: -1 is the seeded row or, for an id with no user, its absence).
  const served = new Map<number, Set<number>>();
  let loads = 0;
  for (const read of reads) {
    let versions = served.get(read.id);
    if (!versions) {
      versions = new Set();
      served.set(read.id, versions);
    }
    if (versions.has(read.version)) continue;
    versions.add(read.version);
    if (read.startAt >= from) loads++;
  }
  return loads;
}
