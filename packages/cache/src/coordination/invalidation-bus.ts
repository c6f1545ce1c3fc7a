import { randomUUID } from "node:crypto";
import type { RedisClient } from "../tiers/redis-connection.js";
import type { Clock } from "../time/clock.js";
import { type BusMessage, type BusMessageType, decodeBusMessage, encodeBusMessage } from "./bus-message.js";
import { BusSequence } from "./bus-sequence.js";

/** What the bus reports about itself. */
export interface BusHealth {
  /** The subscriber connection is up and subscribed. */
  connected: boolean;
  /** Epoch ms of the last message received from another process, or null. */
  lastMessageAt: number | null;
  /** Messages received from other processes. */
  received: number;
  /** Messages published by this process. */
  published: number;
  /** Sequence gaps seen (lost messages). */
  gaps: number;
  /** Times L1 was cleared because invalidations may have been missed. */
  flushes: number;
  /** Payloads on the channel that were not bus messages. */
  malformed: number;
  /** Heartbeats (subscribed-mode PING) not answered in time: a silent connection, handled as a disconnect. */
  heartbeatMisses: number;
}

/** What the cache does with bus traffic. */
export interface BusHandlers {
  /** Other processes changed these keys. */
  onKeys(type: BusMessageType, keys: string[]): void;
  /** Another process invalidated (`inv`) or expired (`exp`) these tags at tag sequence number `seq`. */
  onTags(kind: "inv" | "exp", tags: string[], seq: number): void;
  /** Another process cleared the namespace with this key prefix. */
  onClear(namespacePrefix: string): void;
  /** Invalidations may have been lost: L1 must be cleared before it serves again. */
  onFlush(reason: "disconnect" | "reconnect" | "gap"): void;
}

/**
 * Keeps every process's L1 honest. Writes publish on `{prefix}:bus` from
 * inside their Lua script (atomically with the change); each process
 * subscribes on a connection of its own, ignores its own messages, and drops
 * what others changed. A lost connection or a gap in a publisher's sequence
 * numbers clears L1, since pub/sub does not redeliver.
 */
export class InvalidationBus {
  readonly origin = randomUUID();
  readonly channel: string;
  private seq = 0;
  private readonly sequence: BusSequence;
  private readonly waiters = new Map<string, Set<() => void>>();
  private connected = false;
  private everConnected = false;
  /** `start()` was called: the bus wants its subscription whenever the connection is ready. */
  private started = false;
  /** The first SUBSCRIBE failed: entries filled before the bus joined may have missed invalidations. */
  private missedStart = false;
  private closed = false;
  private readonly stats: Omit<BusHealth, "connected"> = {
    lastMessageAt: null,
    received: 0,
    published: 0,
    gaps: 0,
    flushes: 0,
    malformed: 0,
    heartbeatMisses: 0,
  };
  private readonly heartbeat: NodeJS.Timeout | undefined;
  private pinging = false;

  constructor(
    private readonly subscriber: RedisClient,
    prefix: string,
    private readonly handlers: BusHandlers,
    private readonly clock: Clock,
    /** How often the subscriber connection is PINGed, and how long the answer may take, in ms (0: never). */
    heartbeatMs = 1_000,
  ) {
    this.channel = `${prefix}:bus`;
    this.sequence = new BusSequence(clock, () => this.gap());
    if (heartbeatMs > 0) {
      this.heartbeat = setInterval(() => this.checkAlive(heartbeatMs), heartbeatMs);
      this.heartbeat.unref();
    }
    subscriber.on("message", (channel: string, raw: string) => {
      if (channel === this.channel) this.receive(raw);
    });
    // ioredis resubscribes by itself after a reconnect, but says nothing when that is done:
    // subscribing again (a no-op for Redis) resolves once messages flow, and only then is L1 flushed.
    // The same covers a first SUBSCRIBE that failed (the process started during an outage and the
    // client gave up on its queued commands): without it the process would never join the bus.
    subscriber.on("ready", () => {
      if (!this.started || this.connected || this.closed) return;
      this.subscriber.subscribe(this.channel).then(
        () => this.onConnected(),
        () => {},
      );
    });
    subscriber.on("close", () => this.onDisconnected());
  }

  /**
   * Subscribes (queued until the connection is up); resolves once subscribed.
   * If it rejects (Redis down for longer than the client queues commands), the
   * bus subscribes again on the next "ready" of the connection.
   */
  async start(): Promise<void> {
    this.started = true;
    try {
      await this.subscriber.subscribe(this.channel);
    } catch (error) {
      this.missedStart = true;
      throw error;
    }
    this.onConnected();
  }

  /** Whether invalidations are being heard now. */
  get isConnected(): boolean {
    return this.connected;
  }

  /** Returns the channel and the next message; call only when the publish will really be sent. */
  message(type: BusMessageType, keys: string[], n?: number): { channel: string; message: string } {
    this.seq++;
    this.stats.published++;
    const body: BusMessage =
      n === undefined ? { o: this.origin, s: this.seq, t: type, k: keys } : { o: this.origin, s: this.seq, t: type, k: keys, n };
    return { channel: this.channel, message: encodeBusMessage(body) };
  }

  /** `promise` resolves when another process fills or releases `key`, or after `timeoutMs`; `cancel` stops waiting. */
  waitFor(key: string, timeoutMs: number): { promise: Promise<void>; cancel(): void } {
    let set = this.waiters.get(key);
    if (!set) {
      set = new Set();
      this.waiters.set(key, set);
    }
    const waiters = set;
    let timer: NodeJS.Timeout | undefined;
    let resolvePromise: () => void = () => {};
    const promise = new Promise<void>((resolve) => {
      resolvePromise = resolve;
    });
    const done = () => {
      clearTimeout(timer);
      waiters.delete(done);
      if (waiters.size === 0 && this.waiters.get(key) === waiters) this.waiters.delete(key);
      resolvePromise();
    };
    timer = setTimeout(done, Math.max(0, timeoutMs));
    waiters.add(done);
    return { promise, cancel: done };
  }

  /** Wakes local waiters of `key` (a fill in this process). */
  wake(key: string): void {
    const set = this.waiters.get(key);
    if (!set) return;
    for (const done of [...set]) done();
  }

  health(): BusHealth {
    return { connected: this.connected, ...this.stats };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const key of [...this.waiters.keys()]) this.wake(key);
    this.subscriber.disconnect();
  }

  private receive(raw: string): void {
    const message = decodeBusMessage(raw);
    if (!message) {
      this.stats.malformed++;
      return;
    }
    if (message.o === this.origin) return;
    this.stats.received++;
    this.stats.lastMessageAt = this.clock.now();
    this.sequence.track(message.o, message.s);
    if (message.t === "clear") {
      for (const prefix of message.k) this.handlers.onClear(prefix);
      return;
    }
    if (message.t === "tinv" || message.t === "texp") {
      this.handlers.onTags(message.t === "tinv" ? "inv" : "exp", message.k, message.n as number);
      return;
    }
    this.handlers.onKeys(message.t, message.k);
    if (message.t === "fill" || message.t === "rel") for (const key of message.k) this.wake(key);
  }

  private gap(): void {
    this.stats.gaps++;
    this.flush("gap");
  }

  /**
   * A connection can stop delivering without closing (a dead NAT entry, a
   * frozen peer): ioredis would still say "ready" and messages would simply
   * stop. A subscribed-mode PING that gets no answer within `deadlineMs` is
   * therefore a disconnect: L1 is flushed (entries then live briefly) and the
   * connection is dropped, so ioredis reconnects and resubscribes. A silent
   * subscriber is noticed within two heartbeats.
   */
  private checkAlive(deadlineMs: number): void {
    if (!this.connected || this.closed || this.pinging) return;
    this.pinging = true;
    let answered = false;
    const timer = setTimeout(() => {
      this.pinging = false;
      if (answered || this.closed || !this.connected) return;
      this.stats.heartbeatMisses++;
      this.onDisconnected();
      this.subscriber.disconnect(true);
    }, deadlineMs);
    timer.unref();
    this.subscriber.ping().then(
      () => {
        answered = true;
        this.pinging = false;
        clearTimeout(timer);
      },
      () => {}, // a dropped connection fails the PING; "close" handles that
    );
  }

  private onConnected(): void {
    if (this.connected || this.closed) return;
    this.connected = true;
    // Anything published while we were away was lost: entries filled meanwhile may be stale.
    if (this.everConnected || this.missedStart) this.flush("reconnect");
    this.everConnected = true;
  }

  private onDisconnected(): void {
    if (!this.connected) return;
    this.connected = false;
    if (!this.closed) this.flush("disconnect");
  }

  private flush(reason: "disconnect" | "reconnect" | "gap"): void {
    this.stats.flushes++;
    this.handlers.onFlush(reason);
  }
}
