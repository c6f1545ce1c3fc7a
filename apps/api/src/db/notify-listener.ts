import pg from "pg";
import type { Logger } from "pino";

import { OUTBOX_SETTLED_CHANNEL } from "./outbox.js";

/** The channel the outbox triggers notify at commit (see drizzle/0003_outbox_trigger.sql). */
export const OUTBOX_CHANNEL = "cache_invalidation_outbox";

/** What the listener tells the API. */
export interface NotifyHandlers {
  /** A change of `namespace:cacheId` committed and its outbox row is waiting (the payload only wakes the drain). */
  onChange(namespace: string, cacheId: string): void;
  /** A writer's settle removed the outbox row of `namespace:cacheId` (after its change's own notification). */
  onSettled(namespace: string, cacheId: string): void;
  /** The connection came back after a loss: notifications sent meanwhile are gone (the outbox still has the rows). */
  onReconnect(): void;
}

/** Health of the listener, for /readyz. */
export interface ListenerState {
  connected: boolean;
  reconnects: number;
  received: number;
  lastNotificationAt: number | null;
}

/**
 * LISTENs on a dedicated connection (a pooled one would be handed to other
 * queries). On any failure it reconnects with capped exponential backoff and,
 * once listening again, calls `onReconnect`, because NOTIFY is not queued for
 * a listener that was away.
 */
export class NotifyListener {
  private client: pg.Client | undefined;
  private closed = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private everConnected = false;
  readonly state: ListenerState = { connected: false, reconnects: 0, received: 0, lastNotificationAt: null };

  constructor(
    private readonly databaseUrl: string,
    private readonly handlers: NotifyHandlers,
    private readonly log: Logger,
  ) {}

  /** Connects and listens; resolves once listening (or rejects on the first failure, retrying in the background). */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      connectionTimeoutMillis: 2_000,
      application_name: "hoard-api-listener",
    });
    this.client = client;
    client.on("notification", (message) => {
      if (message.channel !== OUTBOX_CHANNEL && message.channel !== OUTBOX_SETTLED_CHANNEL) return;
      const payload = message.payload ?? "";
      const colon = payload.indexOf(":");
      if (colon <= 0) return;
      this.state.received++;
      this.state.lastNotificationAt = Date.now();
      const [namespace, cacheId] = [payload.slice(0, colon), payload.slice(colon + 1)];
      if (message.channel === OUTBOX_CHANNEL) this.handlers.onChange(namespace, cacheId);
      else this.handlers.onSettled(namespace, cacheId);
    });
    client.on("error", (error) => this.lost(client, error));
    client.on("end", () => this.lost(client, new Error("connection ended")));
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}; LISTEN ${OUTBOX_SETTLED_CHANNEL}`);
    } catch (error) {
      this.lost(client, error as Error);
      throw error;
    }
    this.state.connected = true;
    this.attempt = 0;
    if (this.everConnected) {
      this.state.reconnects++;
      this.log.warn("postgres listener reconnected: notifications may have been missed, draining the outbox");
      this.handlers.onReconnect();
    }
    this.everConnected = true;
  }

  private lost(client: pg.Client, error: Error): void {
    if (client !== this.client || this.closed) return;
    this.client = undefined;
    this.state.connected = false;
    client.removeAllListeners("notification");
    client.end().catch(() => {});
    const delayMs = Math.min(100 * 2 ** this.attempt++, 5_000) * (0.8 + Math.random() * 0.4);
    this.log.warn({ err: error, retryInMs: Math.round(delayMs) }, "postgres listener lost its connection");
    this.timer = setTimeout(() => this.connect().catch(() => {}), delayMs);
  }

  /** The backend pid of the listening connection (tests terminate it to exercise reconnects). */
  async backendPid(): Promise<number | undefined> {
    const result = await this.client?.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    return result?.rows[0]?.pid;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.client?.end().catch(() => {});
  }
}
