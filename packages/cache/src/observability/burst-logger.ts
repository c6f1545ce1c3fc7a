/** The logging surface the cache needs; pino, console and most loggers fit. */
export interface CacheLogger {
  warn(object: object, message?: string): void;
}

/** Writes warnings to stderr as one JSON line each. */
export const consoleLogger: CacheLogger = {
  warn: (object, message) => console.warn(JSON.stringify({ level: "warn", msg: message, ...object })),
};

/**
 * Logs the first error of each kind, then stays quiet for `intervalMs` and
 * reports how many were suppressed: a Redis outage makes one line per
 * interval, not one per request.
 */
export class BurstLogger {
  private readonly windows = new Map<string, { openedAt: number; suppressed: number }>();

  constructor(
    private readonly logger: CacheLogger,
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {}

  warn(kind: string, error: unknown, context: object = {}): void {
    const now = this.now();
    const window = this.windows.get(kind);
    if (window && now - window.openedAt < this.intervalMs) {
      window.suppressed++;
      return;
    }
    const suppressed = window?.suppressed ?? 0;
    this.windows.set(kind, { openedAt: now, suppressed: 0 });
    const err = error as { message?: string; code?: string };
    this.logger.warn(
      { kind, code: err?.code, error: err?.message ?? String(error), suppressedSinceLast: suppressed, ...context },
      `hoard cache: ${kind}`,
    );
  }
}
