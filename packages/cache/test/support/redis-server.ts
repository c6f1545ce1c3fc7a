/** Moved to @hoard/test-servers (the API's suites use it too); re-exported for the library's suites. */
export { OwnRedisServer } from "@hoard/test-servers";
