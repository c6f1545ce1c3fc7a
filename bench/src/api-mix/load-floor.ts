import type { History } from "@hoard/api";

/**
 * How many of a round's reads any cache that invalidates on write has to load, whatever it is: a read of an
 * id that no earlier read of the round asked for since the id's last write (an absent id counts as cached once
 * read, as a negative marker would keep it). Caches start empty every round, so these are the first reads of
 * each id, and the first after each of its writes; a perfect cache loads exactly these and serves the rest.
 * Counts those that began at or after `from` (the clock of the history's records).
 *
 * An acknowledged write invalidates at its acknowledgement (a read begun while it ran may still be served the
 * old copy); one that was not acknowledged may have landed, so it counts from when it was sent.
 */
export function necessaryLoads(history: History, from = 0): number {
  const events = [
    ...history.reads.map((read) => ({ at: read.startAt, id: read.id, write: false })),
    ...history.writes.map((write) => ({ at: write.ackAt, id: write.id, write: true })),
    ...history.failedWrites.map((write) => ({ at: write.startAt, id: write.id, write: true })),
  ].sort((a, b) => a.at - b.at);
  const cached = new Set<number>();
  let loads = 0;
  for (const event of events) {
    if (event.write) {
      cached.delete(event.id);
    } else if (!cached.has(event.id)) {
      cached.add(event.id);
      if (event.at >= from) loads++;
    }
  }
  return loads;
}
