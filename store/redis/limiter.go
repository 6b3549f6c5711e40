package redis

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/go-redis/redis_rate/v10"
	goredis "github.com/redis/go-redis/v9"

	"shopbot/chatstate"
)

var _ chatstate.Limiter = (*Limiter)(nil)

// Key namespaces of the message limit below the store prefix: the bucket
// (redis_rate adds its own "rate:" in front of the whole key) and the mark
// of a flood the user was told about.
const (
	limitNS = "msgs:"
	toldNS  = "msgs-told:"
)

// Limiter is chatstate.Limiter shared by every replica: a GCRA token bucket
// per key in Redis, by github.com/go-redis/redis_rate (one Lua script, the
// time taken from the Redis server, so replicas with skewed clocks agree).
// Each key is one Redis key (Cluster-safe).
type Limiter struct {
	client goredis.UniversalClient
	prefix string
	rl     *redis_rate.Limiter
	limit  redis_rate.Limit
	quiet  time.Duration
}

// NewLimiter lets perSecond messages a second through per key, in bursts
// of burst; keys live under prefix.
func NewLimiter(client goredis.UniversalClient, prefix string, perSecond float64, burst int) *Limiter {
	burst = max(burst, 1)
	// redis_rate counts whole events per period: perSecond = Rate/Period,
	// in milli-events so fractions such as 0.5 a second keep their value.
	limit := redis_rate.Limit{Rate: max(1, int(math.Round(perSecond*1000))), Period: 1000 * time.Second, Burst: burst}
	return &Limiter{client: client, prefix: prefix, rl: redis_rate.NewLimiter(client), limit: limit,
		quiet: chatstate.FloodQuiet(perSecond, burst)}
}

// Allow implements chatstate.Limiter. A refusal sets the flood's mark for
// the time the bucket takes to fill up (SET … GET renews it and says
// whether it was there): only the refusal that found no mark is told.
func (l *Limiter) Allow(ctx context.Context, key string) (chatstate.Verdict, error) {
	res, err := l.rl.Allow(ctx, l.prefix+limitNS+key, l.limit)
	if err != nil {
		return chatstate.Verdict{Allowed: true}, fmt.Errorf("redis: message limit: %w", err)
	}
	if res.Allowed > 0 {
		return chatstate.Verdict{Allowed: true}, nil
	}
	err = l.client.SetArgs(ctx, l.prefix+toldNS+key, "1", goredis.SetArgs{TTL: l.quiet, Get: true}).Err()
	switch {
	case errors.Is(err, goredis.Nil):
		return chatstate.Verdict{Tell: true}, nil // no mark: a new flood
	case err != nil:
		return chatstate.Verdict{}, fmt.Errorf("redis: message limit mark: %w", err)
	}
	return chatstate.Verdict{}, nil
}
