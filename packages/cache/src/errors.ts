/** Stable machine-readable codes carried by every {@link CacheError}. */
export type CacheErrorCode =
  | "E_INVALID_OPTION"
  | "E_INVALID_KEY"
  | "E_CONNECTION"
  | "E_DECODE"
  | "E_ENCODE"
  | "E_LOADER"
  | "E_LOADER_TIMEOUT"
  | "E_LOCK_TIMEOUT"
  | "E_CLOSED";

/** Base class of every error the cache throws; `code` is stable across releases. */
export class CacheError extends Error {
  readonly code: CacheErrorCode;

  constructor(code: CacheErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An option passed to `createCache` or `cache.namespace` is invalid. */
export class InvalidOptionError extends CacheError {
  constructor(message: string) {
    super("E_INVALID_OPTION", message);
  }
}

/** An id or namespace name cannot be turned into a key. */
export class InvalidKeyError extends CacheError {
  constructor(message: string) {
    super("E_INVALID_KEY", message);
  }
}

/** Redis could not be reached, timed out, or the circuit breaker is open. */
export class ConnectionError extends CacheError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("E_CONNECTION", message, options);
  }
}

/** Bytes read from Redis could not be decoded, or failed the namespace's schema. */
export class DecodeError extends CacheError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("E_DECODE", message, options);
  }
}

/** A value could not be serialized by the namespace's codec. */
export class EncodeError extends CacheError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("E_ENCODE", message, options);
  }
}

/** The loader passed to `getOrSet` threw; the original error is the `cause`. */
export class LoaderError extends CacheError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("E_LOADER", message, options);
  }
}

/**
 * `getOrSetMany` could not answer some ids: their load failed (or timed out, or waited past its lock
 * deadline with `onLockTimeout: "throw"`) and no stale copy was kept for them. `failedIds` names them;
 * `results` is aligned with the call's ids and holds every other id's answer (a stale copy where one
 * was served), undefined at the failed positions. `cause` is the first failure (a {@link LoaderError},
 * {@link LoaderTimeoutError} or {@link LockTimeoutError}).
 */
export class BatchLoadError<T = unknown, Id = unknown> extends LoaderError {
  constructor(
    readonly failedIds: Id[],
    readonly results: (T | null | undefined)[],
    cause: unknown,
  ) {
    super(
      `getOrSetMany could not load ${failedIds.length} of ${results.length} id(s) (${JSON.stringify(failedIds.slice(0, 10))}${failedIds.length > 10 ? ", ..." : ""}) and kept no stale copy of them: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
  }
}

/** The loader ran past its hard timeout and no stale value could be served. */
export class LoaderTimeoutError extends CacheError {
  constructor(message: string) {
    super("E_LOADER_TIMEOUT", message);
  }
}

/** A waiter for the distributed lock passed its deadline (with `onLockTimeout: "throw"`). */
export class LockTimeoutError extends CacheError {
  constructor(message: string) {
    super("E_LOCK_TIMEOUT", message);
  }
}

/** The cache was used after `close()`. */
export class CacheClosedError extends CacheError {
  constructor() {
    super("E_CLOSED", "The cache is closed; create a new one with createCache().");
  }
}
