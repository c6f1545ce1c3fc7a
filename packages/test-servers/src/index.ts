export { FaultProxy } from "./fault-proxy.js";
export { pollUntil } from "./poll.js";
export { freePort, freePortRun } from "./ports.js";
export { seededRandom } from "./prng.js";
export { checkMetrics, findPromtool, PROMTOOL_HOWTO, promtoolOrSkip } from "./promtool.js";
export { RedisClusterServers } from "./redis-cluster.js";
export { OwnRedisServer } from "./redis-server.js";
