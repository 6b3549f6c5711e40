package telegram

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shopbot/bot"
	"shopbot/bot/telegram/telegramtest"
	"shopbot/templates"
)

// BenchmarkWebhook drives updates — typed commands and button presses of
// 256 users — through the webhook handler (telegramtest.Bench): secret
// check, decoding, a real router on SQLite (demo catalog), rendering and
// sending to the fake Bot API over HTTP. Flood limits are off here (they
// are BenchmarkSender's subject), so this measures the cost of handling an
// update. Reports updates/s and ack latency p50/p99.
func BenchmarkWebhook(b *testing.B) {
	e := newEnv(b, withOptions(func(o *Options) {
		o.Limits = SendLimits{Global: Limit{N: -1}, Private: Limit{N: -1}, Group: Limit{N: -1}}
	}))
	b.ReportAllocs()
	b.ResetTimer()
	res := telegramtest.Bench(b.Context(), e.mux, testSecret, telegramtest.BenchOptions{
		Updates: b.N, Concurrency: runtime.GOMAXPROCS(0) * 2, Users: 256, API: e.api.FakeAPI,
	})
	b.StopTimer()
	if res.Failed != 0 {
		b.Errorf("%d updates not acknowledged with 200", res.Failed)
	}
	b.ReportMetric(res.PerSecond, "updates/s")
	b.ReportMetric(float64(res.P50.Microseconds()), "p50-µs")
	b.ReportMetric(float64(res.P99.Microseconds()), "p99-µs")
}

// BenchmarkSender sends b.N messages from 32 goroutines to 200 private chats
// and 4 groups through the Sender and the fake Bot API over HTTP, on
// simulated time. It reports the achieved rate as a fraction of the best the
// global limit allows (1 = the limit is fully used) and the flood-limit
// violations the fake saw (must be 0). ns/op is the real CPU cost per send.
func BenchmarkSender(b *testing.B) {
	e := newEnv(b, noRouter())
	var chats []int64
	for i := range 200 {
		chats = append(chats, int64(5000+i))
	}
	chats = append(chats, -71, -72, -73, -74)
	const workers = 32
	lim := e.api.Limits().Global
	b.ResetTimer()
	start := e.clock.Now()
	var failed atomic.Int64
	e.clock.Parallel(workers, func(w int) {
		for j := w; j < b.N; j += workers {
			chat := chats[j%len(chats)]
			if _, err := e.a.Sender().Send(context.Background(), chat, tgbotapi.NewMessage(chat, fmt.Sprint("m", j))); err != nil {
				failed.Add(1)
			}
		}
	})
	b.StopTimer()
	took := e.clock.Now().Sub(start)
	// The shortest time the global limit allows for b.N messages.
	best := time.Duration((b.N+lim.N-1)/lim.N-1) * lim.Per
	util := 1.0
	if took > 0 {
		util = float64(best) / float64(took)
	}
	b.ReportMetric(util, "of-limit")
	b.ReportMetric(float64(e.api.Violations()), "violations")
	b.ReportMetric(float64(failed.Load()), "failed")
}

// BenchmarkSenderRealTime runs telegramtest.BenchSender — the sender at its
// default limits, in real time, against the fake's own clock — for two
// seconds and reports the share of the global limit used and the violations
// the fake counted. A benchmark, not a test: request arrival times on a busy
// machine say more about the machine than about the limiter, whose exactness
// the simulated-clock tests check.
func BenchmarkSenderRealTime(b *testing.B) {
	api := telegramtest.NewFakeAPI()
	b.Cleanup(api.Close)
	a, err := New(b.Context(), Options{Token: telegramtest.Token, APIEndpoint: api.Endpoint(), Mode: ModePolling,
		Router: bot.NewRouter(bot.Options{Texts: templates.MustLoad()})})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res := telegramtest.BenchSender(b.Context(), api, func(ctx context.Context, chat int64, text string) error {
			return a.SendReply(ctx, itoa(chat), bot.Reply{Text: text})
		}, telegramtest.SenderOptions{Duration: 2 * time.Second})
		b.ReportMetric(res.OfLimit, "of_limit")
		b.ReportMetric(float64(res.Violations), "violations")
		b.ReportMetric(float64(res.Failed), "failed")
	}
}
