-- Close one journey left open too long as an incomplete trip-end, unless the rider
-- tapped out (or in again) since the sweeper looked.
-- KEYS: 1 journey key, 2 open-journeys zset, 3 stream
-- ARGV: 1 rider, 2 cutoff ms, 3 the stream's event field (JSON shape: gates/stream.py)
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
local entry = redis.call('GET', KEYS[1])
if not entry then return 0 end
redis.call('DEL', KEYS[1])
redis.call('XADD', KEYS[3], '*', ARGV[3],
  '{"rider":"' .. ARGV[1] .. '","mode":"metro","start":' .. entry .. ',"end":null}')
return 1
