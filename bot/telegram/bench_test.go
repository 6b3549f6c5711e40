package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// BenchmarkWebhook drives updates through the webhook handler: secret check,
// decoding, a real router on SQLite (demo catalog), rendering and sending to
// the fake Bot API over HTTP. Flood limits are off here (they are
// BenchmarkSender's subject), so this measures the cost of handling an
// update. Reports updates/s and ack latency p50/p99.
func BenchmarkWebhook(b *testing.B) {
	e := newEnv(b, withOptions(func(o *Options) {
		o.Limits = SendLimits{Global: Limit{N: -1}, Private: Limit{N: -1}, Group: Limit{N: -1}}
	}))
	texts := []string{"/help", "/shop", "/cart", "/start", "hello"}
	var id atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			n := id.Add(1)
			user := &tgbotapi.User{ID: 10000 + n%256, FirstName: "Bench", LanguageCode: "en"}
			body, _ := json.Marshal(textUpdate(int(n), private(user), user, texts[n%int64(len(texts))]))
			t0 := time.Now()
			rec := e.post(string(body), testSecret)
			mine = append(mine, time.Since(t0))
			if rec.Code != http.StatusOK {
				b.Errorf("status %d", rec.Code)
			}
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "updates/s")
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds()), "p99-µs")
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(math.Ceil(p*float64(len(sorted))))-1)]
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
	lim := e.api.limits.Global
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
	b.ReportMetric(float64(e.api.violations()), "violations")
	b.ReportMetric(float64(failed.Load()), "failed")
}
