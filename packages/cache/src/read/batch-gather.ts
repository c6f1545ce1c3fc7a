/** How long ids this batch took over later (a dead holder's locks lapse together) are gathered into one loader call. */
const TAKEOVER_GATHER_MS = 10;

/**
 * Groups the ids of one batch that this process is to load into as few
 * loader calls as it can without delaying them: every id claimed in the first
 * round (before any wait) goes into the first call, once each id has either
 * been claimed or is waiting on another process; ids claimed later (their
 * holder died, or a wait timed out) are gathered for {@link TAKEOVER_GATHER_MS},
 * or until no id is left waiting, then loaded together.
 */
export class BatchGatherer<I> {
  readonly #queue: I[] = [];
  readonly #groups: Promise<void>[] = [];
  #firstRoundDone = false;
  #timer: NodeJS.Timeout | undefined;

  /** `outstanding`: ids whose claim is not yet settled; `load` runs one loader call for a group (it never rejects). */
  constructor(
    private outstanding: number,
    private readonly load: (group: I[]) => Promise<void>,
  ) {}

  /** An id this process is to load. */
  add(item: I): void {
    this.#queue.push(item);
  }

  /** One id's claim settled (after `add` if it is to be loaded here). */
  settled(): void {
    this.outstanding--;
    this.#maybeFlush();
  }

  /** Every id has been claimed or is waiting: the first loader call goes now. */
  firstRoundDone(): void {
    this.#firstRoundDone = true;
    this.#flush();
  }

  /** Every loader call made so far (complete once every claim has settled). */
  async settledGroups(): Promise<void> {
    await Promise.all(this.#groups);
  }

  #maybeFlush(): void {
    if (!this.#firstRoundDone || this.#queue.length === 0) return;
    if (this.outstanding === 0) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), TAKEOVER_GATHER_MS);
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#queue.length > 0) this.#groups.push(this.load(this.#queue.splice(0)));
  }
}
