import { InvalidKeyError } from "../errors.js";

/** Namespace names and prefixes: letters, digits, `_` and `-`, so they never need escaping. */
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Ids made only of `A-Z a-z 0-9 _ . ~ -` are used as they are. Everything
 * else, including `:` (the key separator), `{ }` (hash tags), `* ? [ ] \`
 * (SCAN glob syntax) and `%` (the escape itself), becomes `%XX` of its UTF-8 bytes.
 */
/** How many id-to-key translations each namespace remembers. */
const RECENT_KEYS = 4_096;

/** Largest id accepted, in characters before encoding. */
export const MAX_ID_LENGTH = 512;

/** An id as callers pass it. */
export type CacheId = string | number;

/** Throws unless `name` is a valid prefix or namespace name. */
export function assertName(kind: "prefix" | "namespace", name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new InvalidKeyError(`Invalid ${kind} ${JSON.stringify(name)}: use 1-64 letters, digits, "_" or "-".`);
  }
}

const PLAIN_ID = /^[A-Za-z0-9_.~-]+$/;

/** Percent-encodes an id so it cannot reach into another key, namespace or SCAN pattern. */
export function encodeId(id: CacheId): string {
  if (typeof id === "number") {
    if (Number.isSafeInteger(id) && id >= 0) return String(id);
    if (!Number.isFinite(id)) throw new InvalidKeyError(`Invalid id ${id}: ids must be finite numbers or strings.`);
    return String(id).replace(/[^A-Za-z0-9_.~-]/g, escapeChar);
  }
  if (typeof id !== "string") {
    throw new InvalidKeyError(`Invalid id of type ${typeof id}: ids must be strings or numbers.`);
  }
  if (id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new InvalidKeyError(`Invalid id: ids must be 1-${MAX_ID_LENGTH} characters long (got ${id.length}).`);
  }
  if (PLAIN_ID.test(id)) return id;
  try {
    return encodeURIComponent(id).replace(/[^A-Za-z0-9_.~%-]/g, escapeChar);
  } catch {
    throw new InvalidKeyError("Invalid id: it is not well-formed Unicode (a lone surrogate).");
  }
}

function escapeChar(char: string): string {
  return `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`;
}

/** Reverses {@link encodeId}; ids that were numbers come back as strings. */
export function decodeId(encoded: string): string {
  return decodeURIComponent(encoded);
}

/**
 * The Redis keys of one namespace version.
 *
 * Layout: `{prefix}:{namespace}:v{version}:{<encoded id>}` for the value, with
 * `:lease` and `:lock` suffixes for the fill lease and the stampede lock. The
 * braces are a Redis Cluster hash tag: a key's value, lease and lock always
 * share a slot, so one Lua script may touch all three.
 */
export class KeySpace {
  /** `{prefix}:{namespace}:v{version}:` */
  #versionPrefix = "";
  #version = 0;
  /** `{prefix}:{namespace}:` */
  readonly namespacePrefix: string;

  constructor(
    readonly prefix: string,
    readonly namespace: string,
    version: number,
  ) {
    this.namespacePrefix = `${prefix}:${namespace}:`;
    this.useVersion(version);
  }

  /** The version keys are built for. */
  get version(): number {
    return this.#version;
  }

  /** `{prefix}:{namespace}:v{version}:` */
  get versionPrefix(): string {
    return this.#versionPrefix;
  }

  /** Builds every later key under `version` (keys already built, e.g. by loads under way, keep theirs). */
  useVersion(version: number): void {
    this.#version = version;
    this.#versionPrefix = `${this.namespacePrefix}v${version}:`;
    this.recentKeys.clear();
  }

  /** Recently built keys: a hit reuses one flat, already-hashed string instead of building a new one. */
  private readonly recentKeys = new Map<CacheId, string>();

  /** The value key of an id. */
  valueKey(id: CacheId): string {
    let key = this.recentKeys.get(id);
    if (key === undefined) {
      key = `${this.versionPrefix}{${encodeId(id)}}`;
      if (this.recentKeys.size >= RECENT_KEYS) this.recentKeys.clear();
      this.recentKeys.set(id, key);
    }
    return key;
  }

  /** The id encoded inside a value key of this namespace version, or undefined. */
  idOf(valueKey: string): string | undefined {
    if (!valueKey.startsWith(this.versionPrefix)) return undefined;
    const rest = valueKey.slice(this.versionPrefix.length);
    if (!rest.startsWith("{") || !rest.endsWith("}")) return undefined;
    return decodeId(rest.slice(1, -1));
  }

  /** SCAN pattern matching every key (values, leases, locks) of every version of this namespace. */
  namespacePattern(): string {
    return `${this.namespacePrefix}v*`;
  }
}

/** The lease key that fences fills of `valueKey`. */
export function leaseKeyOf(valueKey: string): string {
  return `${valueKey}:lease`;
}

/** The stampede-lock key of `valueKey`. */
export function lockKeyOf(valueKey: string): string {
  return `${valueKey}:lock`;
}

/**
 * The version-fence key of `valueKey`: the highest version set or deleted with `{ version }`.
 * `{prefix}:{namespace}:fence:v{version}:{<id>}`: the same hash tag as the value (one slot), and
 * outside the `v*` pattern that `clear()` sweeps, so a clear never forgets which versions are old.
 */
export function versionFenceKeyOf(namespacePrefix: string, valueKey: string): string {
  return `${namespacePrefix}fence:${valueKey.slice(namespacePrefix.length)}`;
}
