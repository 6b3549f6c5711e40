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

// TestSenderRealTime runs telegramtest.BenchSender — the sender at its
// default limits, in real time, against the fake's own clock (default
// tolerance) — for two seconds: the global limit is used fully and never
// exceeded. Not parallel: the fake measures request arrival, and a machine
// busy with the other tests delays requests by more than the tolerance.
func TestSenderRealTime(t *testing.T) {
	if testing.Short() {
		t.Skip("runs in real time")
	}
	api := telegramtest.NewFakeAPI()
	t.Cleanup(api.Close)
	a, err := New(t.Context(), Options{Token: telegramtest.Token, APIEndpoint: api.Endpoint(), Mode: ModePolling,
		Router: bot.NewRouter(bot.Options{Texts: templates.MustLoad()})})
	if err != nil {
		t.Fatal(err)
	}
	res := telegramtest.BenchSender(t.Context(), api, func(ctx context.Context, chat int64, text string) error {
		return a.SendReply(ctx, itoa(chat), bot.Reply{Text: text})
	}, telegramtest.SenderOptions{Duration: 2 * time.Second})
	t.Log(res)
	if res.Violations != 0 || res.Failed != 0 {
		t.Errorf("%d violations, %d failed sends", res.Violations, res.Failed)
	}
	if res.OfLimit < 0.9 || res.OfLimit > 1.05 {
		t.Errorf("sent at %.3f of the global limit, want about 1", res.OfLimit)
	}
}
