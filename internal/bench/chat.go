package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/urfave/cli/v3"

	"shopbot/app"
	"shopbot/bot/web"
)

func chatBench() benchmark {
	return benchmark{
		name:  "chat",
		usage: "web chat messages/s and p50/p99 latency, next to /healthz requests/s",
		flags: []cli.Flag{
			&cli.IntFlag{Name: "users", Value: 64, Usage: "`N` concurrent users"},
			&cli.DurationFlag{Name: "duration", Value: 5 * time.Second, Usage: "run each phase for `D`"},
		},
		run: func(ctx context.Context, e env, cmd *cli.Command) error {
			if err := positive(cmd, "users"); err != nil {
				return err
			}
			return benchChat(ctx, e, cmd.Int("users"), cmd.Duration("duration"))
		},
	}
}

// benchChat drives the web chat over loopback HTTP against the configured
// stores: users concurrent buyers each browse (start, shop, category,
// product, quantity, cart) in a loop. It prints messages/s and latency, next
// to /healthz requests/s measured in the same run as the HTTP baseline.
func benchChat(ctx context.Context, e env, users int, dur time.Duration) error {
	cfg := e.cfg
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.LimitNewWebIDs = 0 // every simulated buyer comes from loopback
	a, err := app.Open(ctx, cfg, atLeast(e.log, slog.LevelWarn))
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
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: users * 2, MaxConnsPerHost: users * 2}}

	baseline := measure(users, dur, func(int, int) error {
		res, err := client.Get(base + "/healthz")
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		return res.Body.Close()
	})
	script := []map[string]string{{"text": "/start"}, {"action": "cats"}, {"action": "cat:1:0"}, {"action": "p:1"},
		{"action": "q:1:2"}, {"action": "cart"}, {"action": "p:2"}, {"action": "cats"}}
	// Each buyer opens the page first: the server issues its identity.
	cookies := make([]string, users)
	for u := range cookies {
		res, err := client.Get(base + "/")
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		for _, c := range res.Cookies() {
			if c.Name == web.IdentityCookie {
				cookies[u] = c.Name + "=" + c.Value
			}
		}
		if cookies[u] == "" {
			return fmt.Errorf("GET /: no identity cookie (HTTP %d)", res.StatusCode)
		}
	}
	chat := measure(users, dur, func(user, i int) error {
		body := map[string]string{"lang": "en", "id": fmt.Sprintf("m%d", i)}
		for k, v := range script[i%len(script)] {
			body[k] = v
		}
		b, _ := json.Marshal(body)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/chat", bytes.NewReader(b))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Cookie", cookies[user])
		res, err := client.Do(req)
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
	fmt.Fprintf(e.out, "store=%s users=%d messages=%d errors=%d msgs_per_s=%.0f p50_ms=%.2f p99_ms=%.2f healthz_per_s=%.0f ratio=%.2f\n",
		store, users, chat.n, chat.errors, chat.rate, chat.p50, chat.p99, baseline.rate, chat.rate/baseline.rate)
	return nil
}
