import { until } from "../../test/support/poll.js";
import { call, versionOf } from "./api-client.js";
import { CONVERGENCE_BOUND_MS } from "./bounds.js";
import type { Violation } from "./checker.js";
import type { History } from "./history.js";

/** The last acknowledged version of each id. */
function latestAcknowledged(history: History): Map<number, number> {
  const latest = new Map<number, number>();
  for (const op of history.ops)
    if ((op.kind === "write" || op.kind === "delete" || op.kind === "create") && op.ok && op.id !== undefined)
      latest.set(op.id, Math.max(latest.get(op.id) ?? -1, op.version as number));
  return latest;
}

/**
 * After the faults end: polls every instance for every id until each serves
 * the last acknowledged write (or something newer that an unacknowledged
 * write may have left); returns how long that took from `healedAt`, or a
 * violation naming the ids that stayed behind.
 */
export async function awaitConvergence(
  history: History,
  urls: string[],
  healedAt: number,
): Promise<{ convergenceMs?: number; violation?: Violation }> {
  const latest = latestAcknowledged(history);
  let behind: string[] = [];
  try {
    await until(
      "every instance to serve the last write of every id",
      async () => {
        behind = [];
        await Promise.all(
          urls.flatMap((url, instance) =>
            [...latest].map(async ([id, version]) => {
              const read = await call(url, "user.byId", { id });
              const got = read.ok ? versionOf(read.body) : Number.NaN;
              if (!(got >= version))
                behind.push(`instance ${instance} id ${id}: got ${read.ok ? `v${got}` : `status ${read.status}`}, expected v${version}`);
            }),
          ),
        );
        return behind.length === 0;
      },
      Math.max(1_000, healedAt + CONVERGENCE_BOUND_MS - Date.now()),
    );
    return { convergenceMs: Date.now() - healedAt };
  } catch {
    return {
      violation: {
        check: "convergence",
        message: `${behind.length} (instance, id) pairs still behind ${CONVERGENCE_BOUND_MS} ms after the last fault was healed: ${behind.slice(0, 5).join("; ")}`,
        op: { behind },
        // Every fault of the run: the lag may come from any of them.
        faults: history.faults.map((fault) => fault.description),
      },
    };
  }
}
