/** URLs (`postgres://user@10.0.0.5:5432/db`, `http://…`). */
const URL_PATTERN = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"`,;)]+/gi;
/** IPv4 with an optional port (`127.0.0.1:3517`). */
const IPV4_PATTERN = /\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g;
/** IPv6, bracketed or with `::` (`[::1]:6379`, `fe80::1`). */
const IPV6_PATTERN =
  /\[[0-9a-f:.]+\](?::\d{1,5})?|\b(?:[0-9a-f]{1,4}:){1,7}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*)?\b|(?<![\w:])::(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*)\b/gi;
/** `host:port` after the words Node's network errors use (`connect ECONNREFUSED redis:6379`, `getaddrinfo ENOTFOUND db`). */
const NODE_NET_PATTERN = /\b(E[A-Z]+)\s+[a-z0-9.-]+(?::\d{1,5})?/g;

/**
 * `text` without internal addresses (URLs, IPs, host:port after a network error code), each replaced
 * by `<address>`: what a public error body may say. The logs keep the original.
 */
export function withoutAddresses(text: string): string {
  return text
    .replace(URL_PATTERN, "<address>")
    .replace(NODE_NET_PATTERN, (_match, code: string) => `${code} <address>`)
    .replace(IPV6_PATTERN, "<address>")
    .replace(IPV4_PATTERN, "<address>")
    .replace(/(?:<address>\s*)+/g, "<address> ")
    .replace(/<address> (?=[\s).,;:]|$)/g, "<address>")
    .trim();
}
