import type { TagVerdict } from "../coordination/tag-registry.js";
import type { EntryCodec } from "../encoding/entry-codec.js";
import type { EntryMeta } from "../encoding/envelope.js";
import type { CacheId, KeySpace } from "../encoding/keys.js";
import type { CacheContext } from "../read/cache-context.js";
import { UNAVAILABLE } from "./l2-store.js";

/** One tier's copy of an entry, as `namespace.peek()` shows it. */
export interface PeekedCopy extends EntryMeta {
  /** The decoded value (null for a negative marker, or when the stored bytes do not decode). */
  value: unknown;
  /** Stored size in bytes. */
  size: number;
  /** The entry's tags (empty when untagged). */
  tags: readonly string[];
  /** Expired on demand (`expire`, `expireTags` does not mark the bytes): served stale while one refresh runs. */
  expired: boolean;
}

/** Everything the cache holds for one id, for tools: no recency change, no fill, no counters. */
export interface PeekedEntry {
  key: string;
  version: number;
  /** The codec's name (`json`, `msgpack`...). */
  codec: string;
  /** This process's L1 copy, if it holds one of the current epoch that has not expired. */
  l1: PeekedCopy | null;
  /** The L2 copy with its raw stored bytes (envelope header + payload); null when absent or Redis is unreachable. */
  l2: (PeekedCopy & { bytes: Buffer; decodeError?: string; tagVerdict: TagVerdict | null }) | null;
  /** Bytes of envelope header (and tag block) before the payload in `l2.bytes`. */
  headerBytes: number;
}

/** Reads one id's copies in both tiers without touching either. */
export async function peekEntry(
  context: CacheContext,
  keys: KeySpace,
  codec: EntryCodec<unknown>,
  id: CacheId,
  useL1: boolean,
): Promise<PeekedEntry> {
  const key = keys.valueKey(id);
  const now = context.clock.now();
  const held = useL1 ? context.l1?.peek(key) : undefined;
  const l1 =
    held && held.epoch === context.marks.epoch(keys.namespacePrefix).value && now < held.staleUntil
      ? {
          negative: held.negative,
          freshUntil: held.freshUntil,
          staleUntil: held.staleUntil,
          loadMs: held.loadMs,
          value: held.value,
          size: held.size,
          tags: held.tags ?? [],
          expired: false,
        }
      : null;
  const raw = await context.l2?.mget([key]);
  const bytes = raw === undefined || raw === UNAVAILABLE ? null : (raw[0] ?? null);
  let l2: PeekedEntry["l2"] = null;
  if (bytes) {
    try {
      const decoded = await codec.decode(bytes);
      // Tagged: what its tags make it now (L2 is checked lazily: a dead copy stays until a read removes it).
      const tagVerdict = decoded.tags ? await context.tags.verdict(decoded.tags, decoded.tagSeq) : null;
      l2 = { ...decoded, tags: decoded.tags ?? [], bytes, tagVerdict };
    } catch (error) {
      l2 = {
        ...safeMeta(codec, bytes),
        value: null,
        size: bytes.length,
        tags: [],
        expired: false,
        bytes,
        decodeError: (error as Error).message,
        tagVerdict: null,
      };
    }
  }
  const headerBytes = l2 && "payloadAt" in l2 ? (l2 as { payloadAt: number }).payloadAt : codec.headerBytes;
  return { key, version: keys.version, codec: codec.codecName, l1, l2, headerBytes };
}

function safeMeta(codec: EntryCodec<unknown>, bytes: Buffer): EntryMeta {
  try {
    return codec.meta(bytes);
  } catch {
    // Not even a header: show the bytes with zero times.
    return { negative: false, freshUntil: 0, staleUntil: 0, loadMs: 0 };
  }
}
