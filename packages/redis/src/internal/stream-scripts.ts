/**
 * The Lua scripts of the Redis message store. Each store operation that touches more than one key runs as
 * one script, so it is atomic: no other client sees half a lease, and a crash between two commands cannot
 * leave a message claimed but untracked.
 *
 * Keys: the stream (`KEYS[1]`), `<key>:leases` (entry id → current lease token), `<key>:errors` (entry id →
 * last error JSON) and `<key>:ids` (message id → entry id, to refuse duplicates).
 *
 * Lease deadlines live in the consumer group's pending entries list: a leased entry's delivery time is set
 * (`XCLAIM … TIME`) to `deadline − HORIZON`, so its idle time reaches `HORIZON` exactly when the lease
 * runs out, and `XAUTOCLAIM … min-idle HORIZON` — which scans pending entries in stream order — finds the
 * oldest entry whose lease expired or that was released. Each lease can then have its own length, and a
 * released entry keeps its place in the queue.
 *
 * @module
 */
import { defineScript } from './connection.js';

/** Longer than any lease or release delay may be (about ten years, in ms). */
export const HORIZON_MS = 315_360_000_000;

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** ARGV: message id, metadata JSON, body. Returns the entry id, or nil for a duplicate message id. */
export const ENQUEUE = defineScript(`
if redis.call('HSETNX', KEYS[4], ARGV[1], '') == 0 then return false end
local entry = redis.call('XADD', KEYS[1], '*', 'id', ARGV[1], 'm', ARGV[2], 'b', ARGV[3])
redis.call('HSET', KEYS[4], ARGV[1], entry)
return entry
`);

/**
 * ARGV: group, consumer, lease ms, token, horizon. Returns nil, or
 * { entry id, fields, delivery count, deadline ms, last error JSON (absent when none) }.
 */
export const LEASE = defineScript(`
local group, consumer, horizon = ARGV[1], ARGV[2], tonumber(ARGV[5])
${NOW}
local deadline = now + tonumber(ARGV[3])
local entry
local cursor = '0-0'
repeat
  local claimed = redis.pcall('XAUTOCLAIM', KEYS[1], group, consumer, horizon, cursor, 'COUNT', 1)
  if type(claimed) == 'table' and claimed.err then
    -- No group yet (a new or purged stream): create it at the start, so nothing enqueued is skipped.
    if not string.find(claimed.err, 'NOGROUP', 1, true) then return redis.error_reply(claimed.err) end
    redis.call('XGROUP', 'CREATE', KEYS[1], group, '0', 'MKSTREAM')
    break
  end
  cursor = claimed[1]
  entry = claimed[2][1]
until entry or cursor == '0-0'
local deliveries = 1
if entry then
  deliveries = redis.call('XPENDING', KEYS[1], group, entry[1], entry[1], 1)[1][4]
else
  local read = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', 1, 'STREAMS', KEYS[1], '>')
  if not read then return false end
  entry = read[1][2][1]
end
local id = entry[1]
redis.call('XCLAIM', KEYS[1], group, consumer, 0, id, 'TIME', deadline - horizon, 'JUSTID')
redis.call('HSET', KEYS[2], id, ARGV[4])
return { id, entry[2], deliveries, deadline, redis.call('HGET', KEYS[3], id) }
`);

/** ARGV: group, entry id, token, message id. Returns 1, or 0 when the token is not the current lease. */
export const ACK = defineScript(`
if redis.call('HGET', KEYS[2], ARGV[2]) ~= ARGV[3] then return 0 end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('HDEL', KEYS[2], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[2])
redis.call('HDEL', KEYS[4], ARGV[4])
return 1
`);

/**
 * ARGV: group, consumer, entry id, token, delay ms, horizon, error JSON ('' for none). Returns 1, or 0 when
 * the token is not the current lease. The entry stays pending, visible again once the delay passed.
 */
export const RELEASE = defineScript(`
if redis.call('HGET', KEYS[2], ARGV[3]) ~= ARGV[4] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[3])
if ARGV[7] ~= '' then redis.call('HSET', KEYS[3], ARGV[3], ARGV[7]) end
${NOW}
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'TIME', now + tonumber(ARGV[5]) - tonumber(ARGV[6]), 'JUSTID')
return 1
`);

/**
 * ARGV: group, limit. Returns { entry id, fields, delivery count, 1 when a lease on it is current, last
 * error } per entry, in stream order.
 */
export const BROWSE = defineScript(`
local out = {}
for i, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', ARGV[2])) do
  local count = 0
  local p = redis.pcall('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)
  if type(p) == 'table' and not p.err and p[1] then count = p[1][4] end
  out[i] = { e[1], e[2], count, redis.call('HEXISTS', KEYS[2], e[1]), redis.call('HGET', KEYS[3], e[1]) }
end
return out
`);

/** Removes the stream (with its group) and every side key. Returns how many messages there were. */
export const PURGE = defineScript(`
local n = redis.call('XLEN', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
return n
`);

/** ARGV: group, consumer. Forgets the consumer when it holds no pending entry (a closing store). */
export const FORGET_CONSUMER = defineScript(`
local p = redis.pcall('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if type(p) ~= 'table' or p.err or #p > 0 then return 0 end
return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
`);
