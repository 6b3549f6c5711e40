package redis_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/store/redis"
)

// gateBackend is a fresh gate plus a way to lose all its state mid-test: a
// FLUSHALL on miniredis; on the shared real server, deleting every key under
// the test's unique prefix (a FLUSHDB would break the tests running beside it).
type gateBackend struct {
	name string
	open func(t *testing.T) (*redis.Gate, func(context.Context) error)
}

func gateBackends() []gateBackend {
	return []gateBackend{
		{"miniredis", func(t *testing.T) (*redis.Gate, func(context.Context) error) {
			m := miniredis.RunT(t)
			return redis.NewGate(newMiniClient(t, m), "shopbot:"), func(context.Context) error { m.FlushAll(); return nil }
		}},
		{"redis", func(t *testing.T) (*redis.Gate, func(context.Context) error) {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			client, err := redis.Open(ctx, testenv.RedisURL(t))
			if err != nil {
				t.Fatalf("Open(REDIS_URL): %v", err)
			}
			prefix := testenv.UniqueName("shopbot_test") + ":"
			flush := func(ctx context.Context) error {
				keys, err := client.Keys(ctx, prefix+"*").Result()
				if err != nil || len(keys) == 0 {
					return err
				}
				return client.Del(ctx, keys...).Err()
			}
			t.Cleanup(func() {
				defer client.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if err := flush(ctx); err != nil {
					t.Errorf("cleanup: %v", err)
				}
			})
			return redis.NewGate(client, prefix), flush
		}},
	}
}

func TestGate(t *testing.T) {
	t.Parallel()
	for _, b := range gateBackends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			g, flush := b.open(t)
			if err := g.Load(ctx, "abc", 3); err != nil {
				t.Fatal(err)
			}
			if err := g.Load(ctx, "abc", 99); err != nil { // NX: keeps 3
				t.Fatal(err)
			}
			try := func(buyer string, qty, limit int, want error) {
				t.Helper()
				ok, err := g.Try(ctx, "abc", buyer, qty, limit)
				if want == nil && (!ok || err != nil) {
					t.Fatalf("Try(%s, %d) = %v, %v; want admitted", buyer, qty, ok, err)
				}
				if want != nil && (ok || !errors.Is(err, want)) {
					t.Fatalf("Try(%s, %d) = %v, %v; want refused with %v", buyer, qty, ok, err, want)
				}
			}
			try("tg:1", 1, 1, nil)
			try("tg:1", 1, 1, commerce.ErrDropLimit)
			try("tg:2", 2, 2, nil)
			try("tg:3", 1, 1, commerce.ErrSoldOut)
			if err := g.Return(ctx, "abc", "tg:1", 1); err != nil {
				t.Fatal(err)
			}
			try("tg:1", 1, 1, nil) // its count came back with the unit
			if left, ok, err := g.Left(ctx, "abc"); err != nil || !ok || left != 0 {
				t.Fatalf("Left = %d, %v, %v; want 0", left, ok, err)
			}
			if err := flush(ctx); err != nil {
				t.Fatal(err)
			}
			try("tg:9", 1, 1, nil) // lost state fails open to the database
			if err := g.Return(ctx, "abc", "tg:9", 1); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := g.Left(ctx, "abc"); ok {
				t.Fatal("Return recreated a flushed counter")
			}
		})
	}
}

// TestGateRushWithFlush races buyers through a DropService whose gate is
// flushed in the middle of the rush: the database still sells exactly the
// drop's units, each to a different buyer.
func TestGateRushWithFlush(t *testing.T) {
	t.Parallel()
	const units, buyers = 100, 500
	for _, b := range gateBackends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			g, flush := b.open(t)
			db := testenv.DemoSQLite(t)
			start := time.Date(2026, 11, 11, 12, 0, 0, 0, time.UTC)
			clock := testenv.NewClock(start.Add(-time.Hour))
			svc := commerce.NewDropService(commerce.DropServiceOptions{Store: db, Gate: g, Clock: clock})
			products, err := db.Products(ctx, commerce.ProductFilter{WithHidden: true, Limit: 1})
			if err != nil || len(products) == 0 {
				t.Fatalf("products: %v, %v", products, err)
			}
			d, err := svc.Create(ctx, commerce.Drop{ProductID: products[0].ID, Units: units, Price: commerce.CNY(100),
				StartsAt: start, PerBuyerLimit: 1, ReservationTTL: 10 * time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Reserve(ctx, d.ID, commerce.Buyer{Channel: "tg", UserID: "early"}, 1, "early"); !errors.Is(err, commerce.ErrDropNotStarted) {
				t.Fatalf("early reserve err = %v; want ErrDropNotStarted", err)
			}
			clock.Set(start)
			var sold atomic.Int64
			var flushOnce sync.Once
			ids := sync.Map{}
			var wg sync.WaitGroup
			gun := make(chan struct{})
			for i := range buyers {
				for range 1 + boolInt(i%10 == 0) { // 10% double-tap with the same key
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-gun
						buyer := commerce.Buyer{Channel: "tg", UserID: fmt.Sprint(i)}
						r, err := svc.Reserve(ctx, d.ID, buyer, 1, fmt.Sprintf("key-%d", i))
						switch {
						case err == nil:
							if prev, loaded := ids.LoadOrStore(buyer, r.ID); loaded && prev != r.ID {
								t.Errorf("buyer %v got reservations %v and %d", buyer, prev, r.ID)
							}
							if !r.Replayed && sold.Add(1) == units/2 {
								flushOnce.Do(func() {
									if err := flush(ctx); err != nil {
										t.Errorf("flush: %v", err)
									}
								})
							}
						case errors.Is(err, commerce.ErrSoldOut), errors.Is(err, commerce.ErrDropLimit):
						default:
							t.Errorf("reserve: %v", err)
						}
					}()
				}
			}
			close(gun)
			wg.Wait()
			after, err := db.Drop(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			var distinct int
			ids.Range(func(_, _ any) bool { distinct++; return true })
			if after.Left != 0 || sold.Load() != units || distinct != units {
				t.Fatalf("after the rush: left=%d created=%d buyers=%d; want 0, %d, %d", after.Left, sold.Load(), distinct, units, units)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
