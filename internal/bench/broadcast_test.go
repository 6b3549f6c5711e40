package bench

import (
	"context"
	"log/slog"
	"testing"

	"shopbot/app"
)

// BenchmarkBroadcast sends a broadcast to 1,500 Telegram users through the
// real job, adapter and Sender against the fake Bot API limited to 300
// messages/s, and reports the rate achieved against the allowed one and
// the violations the fake counted (the target: ratio ≥ 0.95, violations 0).
// It measures; it never fails on speed.
//
//	go test -run '^$' -bench Broadcast -benchtime 1x ./internal/bench
func BenchmarkBroadcast(b *testing.B) {
	// The bench makes its own temporary SQLite database.
	cfg, err := app.CoreConfigFromEnv(func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := runBroadcastBench(context.Background(), cfg, slog.New(slog.DiscardHandler), 1500, 300, 0)
		if err != nil {
			b.Fatal(err)
		}
		if res.missed != 0 || res.dups != 0 {
			b.Fatalf("missed %d, duplicates %d", res.missed, res.dups)
		}
		b.ReportMetric(res.ratio(), "of_allowed_rate")
		b.ReportMetric(float64(res.violations), "violations")
		b.ReportMetric(res.achieved, "msgs/s")
	}
}
