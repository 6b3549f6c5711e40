package redis

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	goredis "github.com/redis/go-redis/v9"

	"shopbot/commerce"
	"shopbot/internal/batch"
)

var _ commerce.DropGate = (*Gate)(nil)

// dropGateTryLua admits units for a batch of requests atomically, in order,
// each as if alone: a rush's concurrent requests for one drop share one
// script call (see batch.Batcher) instead of queueing for connections.
//
//	KEYS[1] units counter, KEYS[2] hash buyer → admitted units
//	ARGV[1] per-buyer limit, then (buyer, qty) pairs
//
// It returns one answer per request: 1 (admitted), 0 (sold out and the
// buyer holds nothing), -2 (over the buyer's limit, or sold out while the
// buyer holds admitted units: the call may be a retry worth looking up) or
// -1 when the counter is missing (never loaded, flushed or evicted): the
// caller then fails open to the database.
const dropGateTryLua = `
local out = {}
local limit = tonumber(ARGV[1])
local left = redis.call('GET', KEYS[1])
for i = 2, #ARGV, 2 do
  local buyer, qty = ARGV[i], tonumber(ARGV[i+1])
  local r
  if not left then
    r = -1
  else
    local taken = tonumber(redis.call('HGET', KEYS[2], buyer) or '0')
    if tonumber(left) < qty then
      if taken > 0 then r = -2 else r = 0 end
    elseif taken + qty > limit then
      r = -2
    else
      left = redis.call('DECRBY', KEYS[1], qty)
      redis.call('HINCRBY', KEYS[2], buyer, qty)
      r = 1
    end
  end
  out[#out+1] = r
end
return out
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
	client  goredis.UniversalClient
	prefix  string
	batches sync.Map // batchKey → *batch.Batcher[tryReq, int]
}

// NewGate returns a gate whose keys start with prefix (e.g. "shopbot:").
func NewGate(client goredis.UniversalClient, prefix string) *Gate {
	return &Gate{client: client, prefix: prefix}
}

// tryReq is one Try waiting for its batch.
type tryReq struct {
	buyer string
	qty   int
}

// batchKey separates batches by what the script takes once per call.
type batchKey struct {
	code  string
	limit int
}

// maxTryBatch bounds one script call, so Redis is never blocked long
// (a few hundred cheap steps, well under a millisecond).
const maxTryBatch = 256

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

// Reset implements commerce.DropGate: the counter and the admissions are
// replaced in one MULTI, for a drop whose units changed before its start.
func (g *Gate) Reset(ctx context.Context, code string, units int) error {
	keys := g.Keys(code)
	_, err := g.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.Set(ctx, keys[0], units, 0)
		p.Del(ctx, keys[1])
		return nil
	})
	if err != nil {
		return fmt.Errorf("drop gate reset %s: %w", code, err)
	}
	return nil
}

// Try implements commerce.DropGate. Concurrent calls for the same drop are
// answered by one script call (see batch.Batcher): under a rush, thousands of
// taps cost a few round trips instead of one each.
func (g *Gate) Try(ctx context.Context, code, buyer string, qty, limit int) (bool, error) {
	k := batchKey{code, limit}
	b, ok := g.batches.Load(k)
	if !ok {
		keys := g.Keys(code)
		b, _ = g.batches.LoadOrStore(k, batch.New(maxTryBatch, func(ctx context.Context, reqs []tryReq) ([]int, error) {
			args := make([]any, 0, 1+2*len(reqs))
			args = append(args, limit)
			for _, r := range reqs {
				args = append(args, r.buyer, r.qty)
			}
			out, err := dropGateTry.Run(ctx, g.client, keys, args...).Int64Slice()
			if err != nil {
				return nil, err
			}
			if len(out) != len(reqs) {
				return nil, fmt.Errorf("%d answers to %d requests", len(out), len(reqs))
			}
			res := make([]int, len(out))
			for i, v := range out {
				res[i] = int(v)
			}
			return res, nil
		}))
	}
	n, err := b.(*batch.Batcher[tryReq, int]).Do(ctx, tryReq{buyer, qty})
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

// Admitted implements commerce.DropGate.
func (g *Gate) Admitted(ctx context.Context, code string) (map[string]int, error) {
	m, err := g.client.HGetAll(ctx, g.Keys(code)[1]).Result()
	if err != nil {
		return nil, fmt.Errorf("drop gate %s admitted: %w", code, err)
	}
	out := make(map[string]int, len(m))
	for b, v := range m {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			out[b] = n
		}
	}
	return out, nil
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
