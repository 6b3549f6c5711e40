package wechattest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// BenchOptions configures Bench.
type BenchOptions struct {
	Messages    int      // callbacks to send; default 1000
	Concurrency int      // parallel senders; default 8
	Users       int      // distinct OpenIDs, round robin; default 64
	Texts       []string // message texts, cycled; default a browsing mix
	// At is the callbacks' timestamp; it must be within the adapter's
	// timestamp window of its clock. Default time.Now.
	At func() time.Time
	// FirstMsgID numbers the messages (MsgId must be new to the router's
	// de-duplication); default the current Unix nanoseconds.
	FirstMsgID int64
}

// BenchResult is what Bench measured. Latencies are the time the handler
// took to answer one callback (WeChat allows 5 s; the adapter answers
// within its reply budget).
type BenchResult struct {
	Messages      int
	Elapsed       time.Duration
	PerSecond     float64
	P50, P99, Max time.Duration
	Deferred      int // answered "success": the flow overran the budget (or had no reply)
	Failed        int // not 200, or a reply that did not verify
}

func (r BenchResult) String() string {
	return fmt.Sprintf("%d encrypted callbacks in %v: %.0f msgs/s, p50 %v, p99 %v, max %v, deferred %d, failed %d",
		r.Messages, r.Elapsed.Round(time.Millisecond), r.PerSecond, r.P50.Round(time.Microsecond),
		r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond), r.Deferred, r.Failed)
}

// Bench posts encrypted text callbacks concurrently straight into h (no
// network) and measures each answer. Requests are encrypted before timing
// starts and replies verified outside the timed section. It stops early
// when ctx ends.
func Bench(ctx context.Context, h http.Handler, c Client, o BenchOptions) BenchResult {
	if o.Messages <= 0 {
		o.Messages = 1000
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.Users <= 0 {
		o.Users = 64
	}
	if len(o.Texts) == 0 {
		o.Texts = []string{"/shop", "1", "/cart", "2", "/orders", "/help"}
	}
	if o.At == nil {
		o.At = time.Now
	}
	if o.FirstMsgID == 0 {
		o.FirstMsgID = time.Now().UnixNano()
	}
	type request struct {
		query string
		body  []byte
	}
	at := o.At()
	reqs := make([]request, o.Messages)
	for i := range reqs {
		user := fmt.Sprintf("oBench%04d", i%o.Users)
		enc := c.Encrypt(c.TextXML(user, o.Texts[i%len(o.Texts)], o.FirstMsgID+int64(i), at.Unix()))
		reqs[i] = request{c.Query(enc, at).Encode(), c.Envelope(enc)}
	}
	lat := make([]time.Duration, o.Messages)
	var next atomic.Int64
	var deferred, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(reqs) {
					return
				}
				req := httptest.NewRequest(http.MethodPost, "/wechat?"+reqs[i].query, bytes.NewReader(reqs[i].body))
				rec := httptest.NewRecorder()
				t0 := time.Now()
				h.ServeHTTP(rec, req)
				lat[i] = time.Since(t0)
				if rec.Code != http.StatusOK {
					failed.Add(1)
					continue
				}
				r, err := c.Open(rec.Body.Bytes())
				switch {
				case err != nil:
					failed.Add(1)
				case r.Content == "":
					deferred.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	done := min(int(next.Load()), len(reqs))
	lat = lat[:done]
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	res := BenchResult{Messages: done, Elapsed: elapsed, Deferred: int(deferred.Load()), Failed: int(failed.Load())}
	if done > 0 {
		res.PerSecond = float64(done) / elapsed.Seconds()
		res.P50, res.P99, res.Max = lat[done/2], lat[done*99/100], lat[done-1]
	}
	return res
}
