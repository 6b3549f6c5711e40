package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/urfave/cli/v3"

	"shopbot/app"
	"shopbot/commerce"
	"shopbot/store/redis"
)

func dropBench() benchmark {
	return benchmark{
		name: "drop",
		usage: "a drop rush: sold, oversold, duplicates, decisions/s and p99 on the configured stores; " +
			"with Redis, raw Lua calls/s and the ratio",
		flags: []cli.Flag{
			&cli.IntFlag{Name: "buyers", Value: 2000, Usage: "`N` concurrent buyers"},
			&cli.IntFlag{Name: "units", Value: 100, Usage: "`U` units in the drop"},
		},
		run: func(ctx context.Context, e env, cmd *cli.Command) error {
			if err := positive(cmd, "buyers", "units"); err != nil {
				return err
			}
			return benchDrop(ctx, e, cmd.Int("buyers"), cmd.Int("units"))
		},
	}
}

// benchDrop rushes a drop on the configured stores: a drop of units starting
// now, buyers concurrent distinct buyers each reserving one unit (limit 1),
// 10% of them double-tapping with the same key. Sold, oversold and
// duplicates are counted from the database afterwards. With REDIS_URL the
// Lua gate filters the rush, and a trivial EVALSHA on the same key shape,
// from as many goroutines for a comparable time, is the baseline.
func benchDrop(ctx context.Context, e env, buyers, units int) error {
	cfg := e.cfg
	quiet := atLeast(e.log, slog.LevelWarn)
	a, err := app.Open(ctx, cfg, quiet)
	if err != nil {
		return err
	}
	defer a.Close()
	product, err := benchProduct(ctx, a)
	if err != nil {
		return err
	}
	var gate *redis.Gate
	opts := commerce.DropServiceOptions{Store: a.Store, Log: quiet}
	if a.Redis() != nil {
		gate = redis.NewGate(a.Redis(), cfg.RedisPrefix)
		opts.Gate = gate
	}
	drops := commerce.NewDropService(opts)
	// A serving process has reserved before: warm its connections, the
	// gate's script and the job queue's first insert on a drop of its own,
	// so the rush measures the rush and not a cold start.
	warm, err := drops.Create(ctx, commerce.Drop{ProductID: product.ID, Units: 1, Price: product.Price,
		StartsAt: time.Now(), PerBuyerLimit: 1, ReservationTTL: 15 * time.Minute})
	if err != nil {
		return err
	}
	if _, err := drops.Reserve(ctx, warm.ID, commerce.Buyer{Channel: "bench", UserID: "warm-" + warm.Code}, 1, "bench-warm-"+warm.Code); err != nil {
		return fmt.Errorf("bench drop: warm-up: %w", err)
	}
	d, err := drops.Create(ctx, commerce.Drop{ProductID: product.ID, Units: units, Price: product.Price,
		StartsAt: time.Now(), PerBuyerLimit: 1, ReservationTTL: 15 * time.Minute})
	if err != nil {
		return err
	}

	won, refused, elapsed, err := rush(ctx, drops, d, buyers)
	if err != nil {
		return err
	}
	lats := slices.Concat(won, refused)
	p99 := percentile(lats, 99)
	rate := float64(len(lats)) / elapsed.Seconds()
	sold, left, duplicates, err := dropCounts(ctx, a, d.ID)
	if err != nil {
		return err
	}
	// Oversold: units sold beyond the drop's, or the counter disagreeing with the reservations.
	oversold := max(0, sold-int64(units), sold+left-int64(units))
	line := fmt.Sprintf("buyers=%d units=%d sold=%d oversold=%d duplicate_orders=%d decisions_per_s=%.0f p99_ms=%.2f",
		buyers, units, sold, oversold, duplicates, rate, p99)
	// Where the time goes: buyers who got a unit went to the database.
	diag := fmt.Sprintf(" p99_reserved_ms=%.2f p99_refused_ms=%.2f", percentile(won, 99), percentile(refused, 99))
	if gate != nil {
		raw := goredis.NewScript(`return 1`)
		keys := gate.Keys(d.Code + "-baseline")
		lua := measure(buyers, max(elapsed, time.Second), func(int, int) error {
			return raw.Run(ctx, a.Redis(), keys, "bench:buyer", 1, 1).Err()
		})
		if lua.errors > 0 {
			return fmt.Errorf("bench drop: %d EVALSHA calls failed", lua.errors)
		}
		line += fmt.Sprintf(" lua_calls_per_s=%.0f ratio=%.3f", lua.rate, rate/lua.rate)
	}
	fmt.Fprintln(e.out, line+diag)
	return nil
}

// rush has buyers reserve one unit of d each at the same moment, every
// tenth tapping twice with the same key, and returns the latencies of the
// reservations made and of those refused (sold out, limit reached), and how
// long the rush took.
func rush(ctx context.Context, drops *commerce.DropService, d commerce.Drop, buyers int) (won, refused []time.Duration, elapsed time.Duration, err error) {
	type call struct {
		lat time.Duration
		err error
	}
	calls := make([][]call, buyers)
	var wg sync.WaitGroup
	gun := make(chan struct{})
	for i := range buyers {
		taps := 1
		if i%10 == 0 {
			taps = 2 // a double tap: the same buyer and key, concurrently
		}
		calls[i] = make([]call, taps)
		for tap := range taps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gun
				t0 := time.Now()
				_, err := drops.Reserve(ctx, d.ID, commerce.Buyer{Channel: "bench", UserID: fmt.Sprintf("%s-%d", d.Code, i)}, 1,
					fmt.Sprintf("bench-%s-%d", d.Code, i))
				calls[i][tap] = call{time.Since(t0), err}
			}()
		}
	}
	start := time.Now()
	close(gun)
	wg.Wait()
	elapsed = time.Since(start)
	for _, cs := range calls {
		for _, c := range cs {
			switch {
			case c.err == nil:
				won = append(won, c.lat)
			case errors.Is(c.err, commerce.ErrSoldOut) || errors.Is(c.err, commerce.ErrDropLimit):
				refused = append(refused, c.lat)
			default:
				return nil, nil, 0, fmt.Errorf("bench drop: reserve: %w", c.err)
			}
		}
	}
	return won, refused, elapsed, nil
}

// dropCounts reads from the database the units sold of a drop, its units
// left, and the reservations beyond one per buyer.
func dropCounts(ctx context.Context, a *app.App, dropID int64) (sold, left, duplicates int64, err error) {
	var buyersWith, rows int64
	db := a.Store.DB()
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(SUM(qty), 0), COUNT(DISTINCT buyer) FROM drop_reservations
		WHERE drop_id = $1 AND status = 'reserved'`, dropID).Scan(&sold, &buyersWith); err != nil {
		return 0, 0, 0, fmt.Errorf("bench drop: count: %w", err)
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM drop_reservations WHERE drop_id = $1`, dropID).Scan(&rows); err != nil {
		return 0, 0, 0, fmt.Errorf("bench drop: count: %w", err)
	}
	if err := db.QueryRowContext(ctx, `SELECT units_left FROM drops WHERE id = $1`, dropID).Scan(&left); err != nil {
		return 0, 0, 0, fmt.Errorf("bench drop: left: %w", err)
	}
	return sold, left, rows - buyersWith, nil
}

// benchProduct returns a product to put in the drop, creating one in an empty catalog.
func benchProduct(ctx context.Context, a *app.App) (commerce.Product, error) {
	ps, err := a.Store.Products(ctx, commerce.ProductFilter{WithHidden: true, Limit: 1})
	if err != nil || len(ps) > 0 {
		if err != nil {
			return commerce.Product{}, err
		}
		return ps[0], nil
	}
	c, err := a.Store.UpsertCategory(ctx, commerce.Category{Slug: "bench", Title: commerce.Text{"en": "Bench"}})
	if err != nil {
		return commerce.Product{}, err
	}
	return a.Store.UpsertProduct(ctx, commerce.Product{SKU: "BENCH-DROP", CategoryID: c.ID, Title: commerce.Text{"en": "Bench drop"},
		Description: commerce.Text{"en": "bench"}, Price: commerce.CNY(100), Origin: commerce.OriginDutyPaid, Active: true})
}
