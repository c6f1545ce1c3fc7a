import { randomBytes } from "node:crypto";
import calculateSlot from "cluster-key-slot";

/** Redis Cluster's fixed number of hash slots. */
const SLOTS = 16_384;

/**
 * The clear generation of a namespace, as Redis sees it.
 *
 * A load records the generation it started under in its lease (the acquire
 * script reads it); the fill script compares it with the current one and
 * refuses the fill if `clear()` has bumped it since. That fences every load
 * begun before a clear at once, whatever the SCAN sweep has reached.
 *
 * A cluster script may only touch keys of one hash slot, so a single
 * generation key cannot be read next to every value. The generation is
 * therefore replicated, one copy per slot, each named with a hash tag chosen
 * to land in that slot: the acquire and fill scripts of a key read the copy of
 * the key's own slot, and `clear()` writes all 16,384 copies (pipelined SETs,
 * never a long script) before it sweeps. On a single Redis there is one copy.
 *
 * Copies expire after twice the lease TTL: a load older than that cannot fill
 * anyway (its lease lapsed), so an expired copy fences nothing that matters.
 */
export class Generations {
  constructor(private readonly cluster: boolean) {}

  /** The generation key the scripts of `valueKey` read (same slot on a cluster). */
  keyOf(namespacePrefix: string, valueKey: string): string {
    if (!this.cluster) return `${namespacePrefix}gen`;
    return `${namespacePrefix}gen:{${slotTags()[calculateSlot(valueKey)]}}`;
  }

  /** Every copy of a namespace's generation key. */
  allKeys(namespacePrefix: string): string[] {
    if (!this.cluster) return [`${namespacePrefix}gen`];
    return slotTags().map((tag) => `${namespacePrefix}gen:{${tag}}`);
  }
}

/** A fresh generation value (compared for equality only, so no order is needed). */
export function newGeneration(): string {
  return randomBytes(8).toString("hex");
}

let tags: string[] | undefined;

/** For each slot, a short hash tag that lands in it (found once, by counting: about 170k CRC16s, a few ms). */
function slotTags(): string[] {
  if (tags) return tags;
  const found = new Array<string>(SLOTS);
  let missing = SLOTS;
  for (let n = 0; missing > 0; n++) {
    const tag = n.toString(36);
    const slot = calculateSlot(tag);
    if (found[slot] === undefined) {
      found[slot] = tag;
      missing--;
    }
  }
  tags = found;
  return found;
}
