package app

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// benchChat drives the web chat over loopback HTTP against the configured
// stores: users concurrent buyers each browse (start, shop, category,
// product, quantity, cart) in a loop. It prints messages/s and latency, next
// to /healthz requests/s measured in the same run as the HTTP baseline.
func benchChat(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench chat", flag.ContinueOnError)
	users := fs.Int("users", 64, "concurrent users")
	dur := fs.Duration("duration", 5*time.Second, "how long to run each phase")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.HTTPAddr = "127.0.0.1:0"
	quiet := slog.New(quietHandler{log.Handler(), slog.LevelWarn})
	a, err := Open(ctx, cfg, quiet)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Serve(sctx, ln) }()
	defer func() { stop(); <-done }()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *users * 2, MaxConnsPerHost: *users * 2}}

	baseline := run(*users, *dur, func(int, int) error {
		res, err := client.Get(base + "/healthz")
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		return res.Body.Close()
	})
	script := []map[string]string{{"text": "/start"}, {"action": "cats"}, {"action": "cat:1:0"}, {"action": "p:1"},
		{"action": "q:1:2"}, {"action": "cart"}, {"action": "p:2"}, {"action": "cats"}}
	runID := time.Now().UnixNano()
	chat := run(*users, *dur, func(user, i int) error {
		body := map[string]string{"user": fmt.Sprintf("bench%d_%d", runID, user), "lang": "en", "id": fmt.Sprintf("m%d", i)}
		for k, v := range script[i%len(script)] {
			body[k] = v
		}
		b, _ := json.Marshal(body)
		res, err := client.Post(base+"/api/chat", "application/json", bytes.NewReader(b))
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("HTTP %d", res.StatusCode)
		}
		return nil
	})
	store := "sqlite"
	if cfg.Postgres() {
		store = "postgres"
	}
	if cfg.RedisURL != "" {
		store += "+redis"
	}
	fmt.Fprintf(out, "store=%s users=%d messages=%d errors=%d msgs_per_s=%.0f p50_ms=%.2f p99_ms=%.2f healthz_per_s=%.0f ratio=%.2f\n",
		store, *users, chat.n, chat.errors, chat.rate, chat.p50, chat.p99, baseline.rate, chat.rate/baseline.rate)
	return nil
}

type phase struct {
	n, errors int64
	rate      float64
	p50, p99  float64 // milliseconds
}

// run calls fn from users goroutines for d and measures each call.
func run(users int, d time.Duration, fn func(user, i int) error) phase {
	var n, errs atomic.Int64
	lat := make([][]time.Duration, users)
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	start := time.Now()
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				t0 := time.Now()
				if err := fn(u, i); err != nil {
					errs.Add(1)
					continue
				}
				lat[u] = append(lat[u], time.Since(t0))
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	return phase{n: n.Load(), errors: errs.Load(), rate: float64(n.Load()) / elapsed.Seconds(),
		p50: percentile(all, 50), p99: percentile(all, 99)}
}

// profiled runs a bench with a CPU profile written to the file named by
// SHOPBOT_CPUPROFILE, when set.
func profiled(getenv func(string) string, fn func() error) error {
	path := getenv("SHOPBOT_CPUPROFILE")
	if path == "" {
		return fn()
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	defer pprof.StopCPUProfile()
	return fn()
}
