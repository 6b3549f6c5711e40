package app

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// lineWatch is a log destination that hands each line matching re to a
// channel.
type lineWatch struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	re    *regexp.Regexp
	lines chan string
}

func (w *lineWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for _, line := range strings.Split(string(p), "\n") {
		if w.re.MatchString(line) {
			select {
			case w.lines <- line:
			default:
			}
		}
	}
	return len(p), nil
}

// /metrics is served on its own listener: SHOPBOT_METRICS_ADDR with port 0
// picks a free port and the log says which; the public listener answers
// 404. With "off" nothing listens for metrics.
func TestMetricsListener(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ addr, want string }{
		{"127.0.0.1:0", `msg="metrics are served apart from the public listener" metrics=(http://127\.0\.0\.1:\d+/metrics)`},
		{"", `msg="metrics are off`},
	} {
		cfg := sqliteConfig(t)
		cfg.HTTPAddr, cfg.MetricsAddr, cfg.SeedDemo = "127.0.0.1:0", tc.addr, false
		logs := &lineWatch{re: regexp.MustCompile(tc.want), lines: make(chan string, 1)}
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan string, 1)
		done := make(chan error, 1)
		go func() { done <- serve(ctx, cfg, slog.New(slog.NewTextHandler(logs, nil)), ready) }()
		var base string
		select {
		case base = <-ready:
		case err := <-done:
			t.Fatalf("serve: %v", err)
		}
		var line string
		select {
		case line = <-logs.lines:
		case err := <-done:
			t.Fatalf("serve: %v", err)
		}
		res, err := http.Get("http://" + base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET /metrics on the public listener = %d; want 404", res.StatusCode)
		}
		if m := regexp.MustCompile(tc.want).FindStringSubmatch(line); len(m) > 1 {
			res, err := http.Get(m[1])
			if err != nil {
				t.Fatal(err)
			}
			var body bytes.Buffer
			_, _ = body.ReadFrom(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || !strings.Contains(body.String(), "shopbot_bot_events_total") {
				t.Errorf("GET %s = %d; want the figures", m[1], res.StatusCode)
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("serve after shutdown: %v", err)
		}
	}
}
