-- One tap, atomically: the idempotency check, the ride code's revocation and replay
-- checks, the rider's standing, the journey pairing and the XADD of a trip-end event
-- all happen in one step, so a crash or a retry can never make half a trip or two
-- trips, and two gates shown the same code at once cannot both accept it.
-- KEYS: 1 idempotency key, 2 journey key, 3 open-journeys zset, 4 stream, 5 riders hash,
--       6 revoked certificates zset, 7 the code's nonce key, 8 deny reasons hash
-- ARGV: 1 fingerprint, 2 kind (entry|exit|end), 3 rider, 4 tap JSON, 5 now ms,
--       6 idempotency ttl s, 7 mode (metro|bus|taxi), 8 the stream's event field,
--       9 certificate serial (hex), 10 nonce ttl s
-- The event's JSON shape is gates/stream.py's contract. A refused tap writes nothing.
-- ARGV[4] is sealed (it carries the edge's MAC, gates/stream.py): copy it, never edit it.
local seen = redis.call('GET', KEYS[1])
if seen then return {'replay', seen} end
if redis.call('ZSCORE', KEYS[6], ARGV[9]) then return {'error', 'revoked'} end
local standing = redis.call('HGET', KEYS[5], ARGV[3])
if not standing then return {'error', 'unknown_rider'} end
if standing ~= 'ok' then
  return {'error', 'blocked', redis.call('HGET', KEYS[8], ARGV[3]) or ''}
end
if redis.call('EXISTS', KEYS[7]) == 1 then return {'error', 'replayed'} end

-- The start is the entry tap; the end is the exit tap, a boarding or a meter report.
local function trip_end(start, end_)
  return '{"rider":"' .. ARGV[3] .. '","mode":"' .. ARGV[7] .. '","start":' .. start
    .. ',"end":' .. end_ .. '}'
end

local kind = ARGV[2]
local status
if kind == 'entry' then
  local previous = redis.call('GET', KEYS[2])
  if previous then
    -- A second entry means the first was never closed: an incomplete journey.
    redis.call('XADD', KEYS[4], '*', ARGV[8], trip_end(previous, 'null'))
  end
  redis.call('SET', KEYS[2], ARGV[4])
  redis.call('ZADD', KEYS[3], ARGV[5], ARGV[3])
  status = 'opened'
elseif kind == 'exit' then
  local entry = redis.call('GET', KEYS[2])
  if entry then
    redis.call('DEL', KEYS[2])
    redis.call('ZREM', KEYS[3], ARGV[3])
    redis.call('XADD', KEYS[4], '*', ARGV[8], trip_end(entry, ARGV[4]))
    status = 'closed'
  else
    redis.call('XADD', KEYS[4], '*', ARGV[8], trip_end('null', ARGV[4]))
    status = 'incomplete'
  end
else
  -- A bus boarding or a taxi meter's report is a whole trip at once.
  redis.call('XADD', KEYS[4], '*', ARGV[8], trip_end('null', ARGV[4]))
  status = 'recorded'
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. status, 'EX', ARGV[6])
redis.call('SET', KEYS[7], '1', 'EX', ARGV[10])
return {'new', status}
