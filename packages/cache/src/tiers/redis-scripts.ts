/**
 * Lua scripts that make each multi-step L2 operation atomic. Every script
 * touches only the keys of one id (value, lease, lock), which share a hash tag,
 * and the copy of the namespace's clear generation kept in the same slot (see
 * generation.ts), so they run unchanged on Redis Cluster.
 *
 * A lease is a token stored beside the value when a load begins. Every
 * invalidation deletes it, so a fill whose lease is gone (or was replaced)
 * started before the latest invalidation and is refused.
 */

/**
 * KEYS: value, lease, lock, generation. ARGV: token, leaseTtlMs, lockTtlMs, wantLock ("1"/"0"), nowMs.
 * Returns [acquired (1/0), fresh value or false, the lock's PTTL when someone else holds it (else -2)].
 * A value that is still fresh at `nowMs` (read from the entry header: byte 1
 * "H", freshUntil as 13 ASCII digits at bytes 4-16) is returned instead of
 * acquiring. With wantLock, nothing is acquired while someone else holds the
 * lock; the lease is only taken together with the lock, so a waiter never
 * voids the holder's lease. The lease records the namespace's clear
 * generation (`token|generation`), so a clear() after this fences the fill.
 */
export const ACQUIRE_LUA = `
local current = redis.call('GET', KEYS[1])
if current and string.len(current) >= 33 and string.byte(current, 1) == 72 then
  local freshUntil = tonumber(string.sub(current, 4, 16))
  if freshUntil and freshUntil > tonumber(ARGV[5]) then return {0, current} end
end
if ARGV[4] == '1' then
  if not redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[3]) then
    return {0, false, redis.call('PTTL', KEYS[3])}
  end
end
redis.call('SET', KEYS[2], ARGV[1] .. '|' .. (redis.call('GET', KEYS[4]) or ''), 'PX', ARGV[2])
return {1, false}
`;

/**
 * KEYS: value, lease, lock, generation. ARGV: token, payload, pxMs, channel, message.
 * Writes the value only while the lease still holds `token` and the
 * namespace's clear generation is still the one the load began under; always frees the
 * lock if `token` holds it, and publishes `message` (when a channel is given)
 * so other processes drop their L1 copy and waiters wake up.
 * Returns 1 when the value was written, 0 when the fill was fenced off.
 */
export const FILL_LUA = `
local accepted = 0
if redis.call('GET', KEYS[2]) == ARGV[1] .. '|' .. (redis.call('GET', KEYS[4]) or '') then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  redis.call('DEL', KEYS[2])
  accepted = 1
end
if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
return accepted
`;

/**
 * KEYS: value, lease. ARGV: payload ("" deletes), pxMs, channel, message.
 * A direct set or delete: writes or removes the value, voids any lease (so
 * loads already under way cannot overwrite it) and publishes the invalidation.
 */
export const WRITE_LUA = `
if ARGV[1] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
redis.call('DEL', KEYS[2])
if ARGV[3] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return 1
`;

/**
 * KEYS: lock. ARGV: token, lockTtlMs.
 * Extends the lock to lockTtlMs only while `token` still holds it (the holder
 * is alive and loading). Returns 1 if renewed, 0 if the lock is no longer ours.
 */
export const RENEW_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/**
 * KEYS: lock. ARGV: token, channel, message.
 * Compare-and-delete: frees the lock only if `token` still holds it, so a
 * holder whose lock expired cannot free someone else's. Publishes so waiters retry.
 */
export const RELEASE_LUA = `
local released = 0
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  released = 1
end
if ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return released
`;

/**
 * KEYS: the cache-wide tag sequence. Returns the next number, as text.
 * A hybrid clock: the larger of the stored number + 1 and Redis's time in
 * microseconds. A plain INCR would start again from 1 after Redis lost the key
 * (a restart with nothing on disk, eviction, a failover to a replica that had
 * not seen the last increments), and entries record the number their load
 * began at: an invalidation numbered lower would leave them served. With the
 * clock, numbers keep growing across such a loss as long as the server's clock
 * does not go back (fewer than one number per microsecond can be taken, so the
 * stored value never runs ahead of it). 16 digits until the year 2286.
 */
export const TAG_SEQUENCE_LUA = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local seq = (tonumber(redis.call('GET', KEYS[1]) or '0') or 0) + 1
if now > seq then seq = now end
local text = string.format('%d', seq)
redis.call('SET', KEYS[1], text)
return text
`;

/**
 * KEYS: tag. ARGV: "inv" or "exp", seq.
 * Records that the tag was invalidated (or expired) at sequence number `seq`
 * of the cache-wide tag sequence: the stored "inv,exp" pair only grows, so
 * concurrent calls in any order leave the highest number. One key per call.
 */
export const TAG_BUMP_LUA = `
local stored = redis.call('GET', KEYS[1])
local inv, exp = 0, 0
if stored then
  local comma = string.find(stored, ',', 1, true)
  if comma then
    inv = tonumber(string.sub(stored, 1, comma - 1)) or 0
    exp = tonumber(string.sub(stored, comma + 1)) or 0
  end
end
local seq = tonumber(ARGV[2])
if ARGV[1] == 'inv' then
  if seq > inv then inv = seq end
elseif seq > exp then
  exp = seq
end
redis.call('SET', KEYS[1], string.format('%d,%d', inv, exp))
return 1
`;

/**
 * KEYS: value, lease. ARGV: now (13 ASCII digits), channel, message.
 * On-demand expiry: a fresh entry with grace left becomes stale now (freshUntil
 * rewritten, flag bit 1 "expired" set, TTL kept) so readers serve it at once
 * while one refreshes; an entry with no grace (an absent marker) is deleted.
 * Voids the lease of a load under way (it began before the expiry) and
 * publishes so every process drops its L1 copy. Returns 1 if the entry changed.
 */
export const EXPIRE_LUA = `
local current = redis.call('GET', KEYS[1])
local changed = 0
if current and string.len(current) >= 33 and string.byte(current, 1) == 72 then
  local freshUntil = tonumber(string.sub(current, 4, 16))
  local staleUntil = tonumber(string.sub(current, 17, 29))
  local now = tonumber(ARGV[1])
  if freshUntil and staleUntil and freshUntil > now then
    local flags = string.byte(current, 3)
    if flags % 2 == 0 and staleUntil > freshUntil then
      if flags % 4 < 2 then flags = flags + 2 end
      redis.call('SET', KEYS[1], string.sub(current, 1, 2) .. string.char(flags) .. ARGV[1] .. string.sub(current, 17), 'KEEPTTL')
    else
      redis.call('DEL', KEYS[1])
    end
    changed = 1
  end
end
redis.call('DEL', KEYS[2])
if ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return changed
`;

/**
 * KEYS: value. ARGV: bytes.
 * Compare-and-delete of an entry found dead (a tag invalidated since its load
 * began): removed only if it is still exactly those bytes, so a newer fill is
 * never lost. Returns 1 if removed.
 */
export const DISCARD_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;
