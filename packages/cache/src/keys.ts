import { InvalidKeyError } from "./errors.js";

/** Namespace names and prefixes: letters, digits, `_` and `-`, so they never need escaping. */
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Characters an encoded id may keep as they are. Everything else, including
 * `:` (the key separator), `{ }` (hash tags), `* ? [ ] \` (SCAN glob syntax)
 * and `%` (the escape itself), becomes `%XX` of its UTF-8 bytes.
 */
const SAFE_ID_CHAR = /[A-Za-z0-9_.~-]/;

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

/** Percent-encodes an id so it cannot reach into another key, namespace or SCAN pattern. */
export function encodeId(id: CacheId): string {
  if (typeof id === "number") {
    if (!Number.isFinite(id)) throw new InvalidKeyError(`Invalid id ${id}: ids must be finite numbers or strings.`);
    return String(id).replace(/[^A-Za-z0-9_.~-]/g, escapeChar);
  }
  if (typeof id !== "string") {
    throw new InvalidKeyError(`Invalid id of type ${typeof id}: ids must be strings or numbers.`);
  }
  if (id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new InvalidKeyError(`Invalid id: ids must be 1-${MAX_ID_LENGTH} characters long (got ${id.length}).`);
  }
  let plain = true;
  for (let i = 0; i < id.length; i++) {
    if (!SAFE_ID_CHAR.test(id[i] as string)) {
      plain = false;
      break;
    }
  }
  return plain ? id : encodeURIComponent(id).replace(/[^A-Za-z0-9_.~%-]/g, escapeChar);
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
  readonly versionPrefix: string;
  /** `{prefix}:{namespace}:` */
  readonly namespacePrefix: string;

  constructor(
    readonly prefix: string,
    readonly namespace: string,
    readonly version: number,
  ) {
    this.namespacePrefix = `${prefix}:${namespace}:`;
    this.versionPrefix = `${this.namespacePrefix}v${version}:`;
  }

  /** The value key of an id. */
  valueKey(id: CacheId): string {
    return `${this.versionPrefix}{${encodeId(id)}}`;
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
