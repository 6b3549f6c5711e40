package redis

import (
	"context"
	"fmt"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"shopbot/commerce"
)

var _ commerce.DropGate = (*Gate)(nil)

// dropGateTryLua admits qty units for a buyer atomically.
//
//	KEYS[1] units counter, KEYS[2] hash buyer → admitted units
//	ARGV[1] buyer, ARGV[2] qty, ARGV[3] per-buyer limit
//
// It returns 1 (admitted), 0 (sold out and the buyer holds nothing), -2
// (over the buyer's limit, or sold out while the buyer holds admitted units:
// the call may be a retry worth looking up) or -1 when the counter is missing (never loaded, flushed or evicted): the caller
// then fails open to the database.
const dropGateTryLua = `
local left = redis.call('GET', KEYS[1])
if not left then return -1 end
local qty = tonumber(ARGV[2])
local taken = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if tonumber(left) < qty then
  if taken > 0 then return -2 end
  return 0
end
if taken + qty > tonumber(ARGV[3]) then return -2 end
redis.call('DECRBY', KEYS[1], qty)
redis.call('HINCRBY', KEYS[2], ARGV[1], qty)
return 1
`

// dropGateReturnLua gives back qty units admitted earlier, if the counter
// still exists (a reloaded counter already counts them as left).
const dropGateReturnLua = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('INCRBY', KEYS[1], ARGV[2])
local taken = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if taken > 0 then
  redis.call('HINCRBY', KEYS[2], ARGV[1], -math.min(taken, tonumber(ARGV[2])))
end
return 1
`

var (
	dropGateTry    = goredis.NewScript(dropGateTryLua)
	dropGateReturn = goredis.NewScript(dropGateReturnLua)
)

// Gate is the drop stock gate: a Redis counter of a drop's units and each
// buyer's admitted count, both changed by one Lua script, so a rush is
// refused in Redis once the units are gone. It only filters: the database's
// conditional update decides. When the counter is missing (Redis flushed or
// restarted) Try admits everyone and the database alone decides until Load
// sets the counter again; it can never oversell.
type Gate struct {
	client goredis.UniversalClient
	prefix string
}

// NewGate returns a gate whose keys start with prefix (e.g. "shopbot:").
func NewGate(client goredis.UniversalClient, prefix string) *Gate {
	return &Gate{client: client, prefix: prefix}
}

// Keys returns the gate's two keys for a drop code; the hash tag keeps them
// in one cluster slot.
func (g *Gate) Keys(code string) []string {
	base := g.prefix + "drop:{" + code + "}:"
	return []string{base + "left", base + "buyers"}
}

// Load sets the drop's unit counter to units unless it exists (SET NX), so a
// reload after a flush never raises a counter a running rush has lowered.
func (g *Gate) Load(ctx context.Context, code string, units int) error {
	if err := g.client.SetNX(ctx, g.Keys(code)[0], units, 0).Err(); err != nil {
		return fmt.Errorf("drop gate load %s: %w", code, err)
	}
	return nil
}

// Try implements commerce.DropGate.
func (g *Gate) Try(ctx context.Context, code, buyer string, qty, limit int) (bool, error) {
	n, err := dropGateTry.Run(ctx, g.client, g.Keys(code), buyer, qty, limit).Int()
	if err != nil {
		return false, fmt.Errorf("drop gate %s: %w", code, err)
	}
	switch n {
	case 1, -1: // admitted, or no counter: fail open
		return true, nil
	case 0:
		return false, fmt.Errorf("drop gate %s: %w", code, commerce.ErrSoldOut)
	case -2:
		return false, fmt.Errorf("drop gate %s: %w", code, commerce.ErrDropLimit)
	}
	return false, fmt.Errorf("drop gate %s: unexpected answer %d", code, n)
}

// Return implements commerce.DropGate.
func (g *Gate) Return(ctx context.Context, code, buyer string, qty int) error {
	if err := dropGateReturn.Run(ctx, g.client, g.Keys(code), buyer, qty).Err(); err != nil {
		return fmt.Errorf("drop gate return %s: %w", code, err)
	}
	return nil
}

// Left returns the gate's counter; ok is false when it is missing.
func (g *Gate) Left(ctx context.Context, code string) (left int, ok bool, err error) {
	v, err := g.client.Get(ctx, g.Keys(code)[0]).Result()
	if err == goredis.Nil {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("drop gate %s: %w", code, err)
	}
	left, err = strconv.Atoi(v)
	return left, err == nil, err
}
