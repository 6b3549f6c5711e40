package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/chatstate"
	"shopbot/commerce"
)

// The web chat's state: its history (Redis and SQL), the limiter of new
// web identities (Redis and in-process), and the web identities with their
// retention (SQL).

// runHistory runs the chatstate.History cases.
func runHistory(t *testing.T, open func(t *testing.T) chatstate.History) {
	runChatCases(t, open, 60*time.Second, []chatCase[chatstate.History]{
		{"entries come back oldest first", testHistoryOrder},
		{"only the newest are kept", testHistoryKeep},
		{"keys are separate", testHistoryKeys},
		{"concurrent appends lose nothing within the bound", testHistoryConcurrent},
		{"concurrent appends to several histories keep each apart", testHistoryConcurrentKeys},
	})
}

func appendHistory(t *testing.T, ctx context.Context, h chatstate.History, key string, keep int, entries ...string) {
	t.Helper()
	bs := make([][]byte, len(entries))
	for i, e := range entries {
		bs[i] = []byte(e)
	}
	if err := h.AppendHistory(ctx, key, bs, keep); err != nil {
		t.Fatalf("AppendHistory(%s): %v", key, err)
	}
}

func readHistory(t *testing.T, ctx context.Context, h chatstate.History, key string, limit int) []string {
	t.Helper()
	got, err := h.History(ctx, key, limit)
	if err != nil {
		t.Fatalf("History(%s): %v", key, err)
	}
	out := make([]string, len(got))
	for i, e := range got {
		out[i] = string(e)
	}
	return out
}

func testHistoryOrder(t *testing.T, ctx context.Context, h chatstate.History) {
	if got := readHistory(t, ctx, h, "web:nobody", 10); len(got) != 0 {
		t.Fatalf("unknown key: %q", got)
	}
	appendHistory(t, ctx, h, "web:a", 50, `{"me":true,"text":"hi"}`, `{"text":"hello"}`)
	appendHistory(t, ctx, h, "web:a", 50, `{"text":"again"}`)
	if got := fmt.Sprint(readHistory(t, ctx, h, "web:a", 10)); got != `[{"me":true,"text":"hi"} {"text":"hello"} {"text":"again"}]` {
		t.Fatalf("history = %s", got)
	}
	if got := fmt.Sprint(readHistory(t, ctx, h, "web:a", 2)); got != `[{"text":"hello"} {"text":"again"}]` {
		t.Fatalf("newest 2 = %s", got)
	}
	appendHistory(t, ctx, h, "web:a", 50) // nothing to add
	if got := readHistory(t, ctx, h, "web:a", 10); len(got) != 3 {
		t.Fatalf("an empty append changed the history: %q", got)
	}
}

func testHistoryKeep(t *testing.T, ctx context.Context, h chatstate.History) {
	for i := range 12 {
		appendHistory(t, ctx, h, "web:k", 5, fmt.Sprintf("m%d", 2*i), fmt.Sprintf("m%d", 2*i+1))
	}
	if got := fmt.Sprint(readHistory(t, ctx, h, "web:k", 100)); got != "[m19 m20 m21 m22 m23]" {
		t.Fatalf("kept %s; want the newest 5", got)
	}
	// One append longer than the bound keeps its own newest.
	appendHistory(t, ctx, h, "web:k2", 3, "a", "b", "c", "d")
	if got := fmt.Sprint(readHistory(t, ctx, h, "web:k2", 100)); got != "[b c d]" {
		t.Fatalf("kept %s; want [b c d]", got)
	}
}

func testHistoryKeys(t *testing.T, ctx context.Context, h chatstate.History) {
	appendHistory(t, ctx, h, "web:x", 50, "x1")
	appendHistory(t, ctx, h, "web:y", 50, "y1", "y2")
	if got := fmt.Sprint(readHistory(t, ctx, h, "web:x", 10)); got != "[x1]" {
		t.Fatalf("web:x = %s", got)
	}
	if got := fmt.Sprint(readHistory(t, ctx, h, "web:y", 10)); got != "[y1 y2]" {
		t.Fatalf("web:y = %s", got)
	}
}

func testHistoryConcurrent(t *testing.T, ctx context.Context, h chatstate.History) {
	const writers, each, keep = 8, 10, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := h.AppendHistory(ctx, "web:busy", [][]byte{[]byte(fmt.Sprintf("w%d-%d", w, i))}, keep); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got := readHistory(t, ctx, h, "web:busy", 1000)
	if len(got) != keep {
		t.Fatalf("%d entries after %d appends; want the bound, %d", len(got), writers*each, keep)
	}
	// Each writer's entries stay in its own order.
	last := map[byte]int{}
	for _, e := range got {
		var w, i int
		if _, err := fmt.Sscanf(e, "w%d-%d", &w, &i); err != nil {
			t.Fatalf("entry %q", e)
		}
		if prev, ok := last[byte(w)]; ok && i <= prev {
			t.Fatalf("writer %d out of order: %q", w, got)
		}
		last[byte(w)] = i
	}
}

func testHistoryConcurrentKeys(t *testing.T, ctx context.Context, h chatstate.History) {
	const writers, keys, each, keep = 8, 4, 6, 10
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				// Each writer goes round the keys in its own order.
				k := (w + i*(w%3+1)) % keys
				e := []byte(fmt.Sprintf("k%d-w%d-%d", k, w, i))
				if err := h.AppendHistory(ctx, fmt.Sprintf("web:k%d", k), [][]byte{e, e}, keep); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for k := range keys {
		got := readHistory(t, ctx, h, fmt.Sprintf("web:k%d", k), 1000)
		if len(got) > keep {
			t.Fatalf("web:k%d holds %d entries; the bound is %d", k, len(got), keep)
		}
		for _, e := range got {
			if !strings.HasPrefix(e, fmt.Sprintf("k%d-", k)) {
				t.Fatalf("web:k%d holds %q", k, e)
			}
		}
		total += len(got)
	}
	if total == 0 {
		t.Fatal("nothing kept")
	}
}

// OpenWindowLimiter opens a fresh window limiter allowing limit events per key
// in each window, on the clock now.
type OpenWindowLimiter func(t *testing.T, limit int, window time.Duration, now func() time.Time) chatstate.WindowLimiter

// runWindowLimiter runs the chatstate.WindowLimiter cases.
func runWindowLimiter(t *testing.T, open OpenWindowLimiter) {
	t.Run("limit per window", func(t *testing.T) { t.Parallel(); testLimiterWindow(t, open) })
	t.Run("keys are separate", func(t *testing.T) { t.Parallel(); testWindowLimiterKeys(t, open) })
	t.Run("concurrent callers get exactly the limit", func(t *testing.T) { t.Parallel(); testWindowLimiterConcurrent(t, open) })
}

// limiterClock is a settable clock for limiter cases.
type limiterClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *limiterClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *limiterClock) advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func allowN(t *testing.T, l chatstate.WindowLimiter, key string, n int) int {
	t.Helper()
	allowed := 0
	for range n {
		ok, err := l.Allow(t.Context(), key)
		if err != nil {
			t.Fatalf("Allow(%s): %v", key, err)
		}
		if ok {
			allowed++
		}
	}
	return allowed
}

func testLimiterWindow(t *testing.T, open OpenWindowLimiter) {
	clock := &limiterClock{now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	l := open(t, 3, time.Minute, clock.Now)
	if got := allowN(t, l, "203.0.113.7", 5); got != 3 {
		t.Fatalf("allowed %d of 5 in one window; want 3", got)
	}
	clock.advance(59 * time.Second) // still the same minute
	if got := allowN(t, l, "203.0.113.7", 1); got != 0 {
		t.Fatal("allowed over the limit later in the window")
	}
	clock.advance(time.Second) // the next minute
	if got := allowN(t, l, "203.0.113.7", 4); got != 3 {
		t.Fatalf("allowed %d of 4 in the next window; want 3", got)
	}
}

func testWindowLimiterKeys(t *testing.T, open OpenWindowLimiter) {
	clock := &limiterClock{now: time.Date(2026, 11, 25, 10, 0, 30, 0, time.UTC)}
	l := open(t, 2, time.Minute, clock.Now)
	if got := allowN(t, l, "a", 3); got != 2 {
		t.Fatalf("a: %d", got)
	}
	if got := allowN(t, l, "b", 3); got != 2 {
		t.Fatalf("b after a was used up: %d; want 2", got)
	}
}

func testWindowLimiterConcurrent(t *testing.T, open OpenWindowLimiter) {
	clock := &limiterClock{now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	const limit, callers = 60, 200
	l := open(t, limit, time.Minute, clock.Now)
	var wg sync.WaitGroup
	results := make([]bool, callers)
	start := make(chan struct{})
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ok, err := l.Allow(t.Context(), "198.51.100.1")
			if err != nil {
				t.Error(err)
			}
			results[i] = ok
		}()
	}
	close(start)
	wg.Wait()
	if n := countTrue(results); n != limit {
		t.Fatalf("%d of %d concurrent callers allowed; want exactly %d", n, callers, limit)
	}
}

// runWebIdentities checks the web identities of the SQL store: first sight
// and activity, the retention sweep, and the settings swap the identity
// keys rotate with.
func runWebIdentities(t *testing.T, open OpenShop) {
	t.Run("seen", func(t *testing.T) { t.Parallel(); testWebIdentitySeen(t, open.plain(t)) })
	t.Run("retention", func(t *testing.T) { t.Parallel(); testWebRetention(t, open.plain(t)) })
	t.Run("retention in batches", func(t *testing.T) { t.Parallel(); testWebRetentionBatches(t, open.plain(t)) })
	t.Run("swap setting", func(t *testing.T) { t.Parallel(); testSwapSetting(t, open.plain(t)) })
	t.Run("history", func(t *testing.T) {
		t.Parallel()
		runHistory(t, func(t *testing.T) chatstate.History { return open.plain(t) })
	})
}

// webSeen reads an identity's first and last sight (unix ms); ok is false
// when the store has no such identity.
func webSeen(t *testing.T, s ShopStore, id string) (first, last int64, ok bool) {
	t.Helper()
	err := s.DB().QueryRowContext(context.Background(), `SELECT first_seen, last_seen FROM web_identities WHERE id = $1`, id).Scan(&first, &last)
	if err != nil {
		return 0, 0, false
	}
	return first, last, true
}

func testWebIdentitySeen(t *testing.T, s ShopStore) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	if err := s.SeeWebIdentity(ctx, "w1", t0); err != nil {
		t.Fatal(err)
	}
	if first, last, ok := webSeen(t, s, "w1"); !ok || first != t0.UnixMilli() || last != t0.UnixMilli() {
		t.Fatalf("new identity: %d %d %v", first, last, ok)
	}
	// Within the hour last_seen stays: one write an hour, not one a message.
	if err := s.SeeWebIdentity(ctx, "w1", t0.Add(59*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, last, _ := webSeen(t, s, "w1"); last != t0.UnixMilli() {
		t.Fatalf("last_seen raised within the hour: %d", last)
	}
	if err := s.SeeWebIdentity(ctx, "w1", t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if first, last, _ := webSeen(t, s, "w1"); first != t0.UnixMilli() || last != t0.Add(2*time.Hour).UnixMilli() {
		t.Fatalf("after two hours: first %d last %d", first, last)
	}
	// Concurrent first messages make one identity.
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.SeeWebIdentity(ctx, "w2", t0); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var n int
	if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM web_identities WHERE id = 'w2'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d rows for one identity, %v", n, err)
	}
}

func webRetention(idleSince, now time.Time, limit int) chatstate.WebRetention {
	return chatstate.WebRetention{IdleSince: idleSince, Now: now, Limit: limit,
		SessionKey: func(id string) string { return "sess:web:" + id },
		UserKey:    func(id string) string { return "web:" + id }}
}

// webRows counts what the store holds for a web identity.
func webRows(t *testing.T, s ShopStore, id string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, q := range []struct{ name, sql, arg string }{
		{"identity", `SELECT COUNT(*) FROM web_identities WHERE id = $1`, id},
		{"session", `SELECT COUNT(*) FROM sessions WHERE key = $1`, "sess:web:" + id},
		{"history", `SELECT COUNT(*) FROM web_history WHERE user_key = $1`, "web:" + id},
		{"inbox", `SELECT COUNT(*) FROM inbox WHERE user_key = $1`, "web:" + id},
		{"audience", `SELECT COUNT(*) FROM chat_users WHERE channel = 'web' AND user_id = $1`, id},
		{"orders", `SELECT COUNT(*) FROM orders WHERE channel = 'web' AND user_id = $1`, id},
	} {
		var n int
		if err := s.DB().QueryRowContext(context.Background(), q.sql, q.arg).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		out[q.name] = n
	}
	return out
}

// webVisitor gives an identity what a conversation leaves: a session,
// history, an inbox notice and an audience row, all seen at at.
func webVisitor(t *testing.T, s ShopStore, id string, at time.Time) {
	t.Helper()
	ctx := context.Background()
	if err := s.SeeWebIdentity(ctx, id, at); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO sessions (key, version, data, expires_at) VALUES ($1, 1, $2, $3)`,
		"sess:web:"+id, []byte("{}"), at.Add(30*24*time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendHistory(ctx, "web:"+id, [][]byte{[]byte(`{"text":"hi"}`)}, 50); err != nil {
		t.Fatal(err)
	}
	if err := s.Push(ctx, "web:"+id, []byte("[]")); err != nil {
		t.Fatal(err)
	}
	if err := s.SeeChatUser(ctx, commerce.ChatUser{Channel: "web", UserID: id, ChatID: id, Lang: "en", LastSeen: at}); err != nil {
		t.Fatal(err)
	}
}

func testWebRetention(t *testing.T, s ShopStore) {
	ctx := context.Background()
	t0 := time.Date(2026, 10, 1, 10, 0, 0, 0, time.UTC)
	for _, id := range []string{"passing", "buyer", "waiting", "fresh", "linked"} {
		webVisitor(t, s, id, t0)
	}
	// Linked to a Telegram chat (WeChat sign-in or /link): a person's, kept.
	if _, err := s.LinkIdentities(ctx, "web:linked", "tg:4242", 10, t0); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, s, 10)
	if _, _, err := s.PlaceOrder(ctx, f.order("k-buyer", "buyer", 1), commerce.PersonLimits{}); err != nil {
		t.Fatal(err)
	}
	df := newDropFixture(t, s)
	d := df.create(t, 5, 1)
	if _, err := s.SubscribeDrop(ctx, d.ID, commerce.DropFollower{Buyer: commerce.Buyer{Channel: "web", UserID: "waiting"}, ChatID: "waiting", Lang: "en"}, t0, commerce.PersonLimits{}); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(31 * 24 * time.Hour)
	if err := s.SeeWebIdentity(ctx, "fresh", now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}

	res, err := s.PurgeIdleWebIdentities(ctx, webRetention(now.Add(-30*24*time.Hour), now, 100))
	if err != nil {
		t.Fatal(err)
	}
	if res != (chatstate.WebRetentionResult{Looked: 4, Purged: 1, Kept: 3}) {
		t.Fatalf("result %+v; want 4 looked, 1 purged, 3 kept", res)
	}
	for id, want := range map[string]map[string]int{
		// Never ordered, idle 31 days: nothing left.
		"passing": {"identity": 0, "session": 0, "history": 0, "inbox": 0, "audience": 0, "orders": 0},
		// Ordered: the identity, its order, audience and inbox stay; the
		// 31-day-old conversation goes.
		"buyer": {"identity": 1, "session": 1, "history": 0, "inbox": 1, "audience": 1, "orders": 1},
		// Waits for a drop's start notice: kept like a buyer.
		"waiting": {"identity": 1, "session": 1, "history": 0, "inbox": 1, "audience": 1, "orders": 0},
		// Linked into a person: kept like a buyer.
		"linked": {"identity": 1, "session": 1, "history": 0, "inbox": 1, "audience": 1, "orders": 0},
		// Active an hour ago: untouched.
		"fresh": {"identity": 1, "session": 1, "history": 1, "inbox": 1, "audience": 1, "orders": 0},
	} {
		if got := webRows(t, s, id); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %v; want %v", id, got, want)
		}
	}

	// The kept ones are not looked at again until they are active again.
	if res, err := s.PurgeIdleWebIdentities(ctx, webRetention(now.Add(-30*24*time.Hour), now, 100)); err != nil || res.Looked != 0 {
		t.Fatalf("second sweep: %+v, %v; want nothing to look at", res, err)
	}
	back := now.Add(time.Hour)
	if err := s.SeeWebIdentity(ctx, "buyer", back); err != nil {
		t.Fatal(err)
	}
	later := back.Add(31 * 24 * time.Hour)
	if res, err := s.PurgeIdleWebIdentities(ctx, webRetention(later.Add(-30*24*time.Hour), later, 100)); err != nil || res.Kept != 1 {
		t.Fatalf("after the buyer came back and left again: %+v, %v; want the buyer kept again", res, err)
	}

	// Without the keys the sweep refuses to run.
	if _, err := s.PurgeIdleWebIdentities(ctx, chatstate.WebRetention{IdleSince: now, Now: now}); err == nil {
		t.Fatal("a sweep without SessionKey and UserKey ran")
	}
}

func testWebRetentionBatches(t *testing.T, s ShopStore) {
	ctx := context.Background()
	t0 := time.Date(2026, 10, 1, 10, 0, 0, 0, time.UTC)
	for i := range 7 {
		if err := s.SeeWebIdentity(ctx, fmt.Sprintf("p%d", i), t0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	now := t0.Add(40 * 24 * time.Hour)
	var rounds []chatstate.WebRetentionResult
	for {
		res, err := s.PurgeIdleWebIdentities(ctx, webRetention(now.Add(-30*24*time.Hour), now, 3))
		if err != nil {
			t.Fatal(err)
		}
		rounds = append(rounds, res)
		if res.Looked < 3 {
			break
		}
	}
	if fmt.Sprint(rounds) != "[{3 3 0} {3 3 0} {1 1 0}]" {
		t.Fatalf("rounds %v; want 3, 3, 1", rounds)
	}
}

func testSwapSetting(t *testing.T, s ShopStore) {
	ctx := context.Background()
	if _, err := s.InitSetting(ctx, "keys", "v1"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	won := make([]bool, 10)
	for i := range won {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.SwapSetting(ctx, "keys", "v1", fmt.Sprintf("v2-%d", i))
			if err != nil {
				t.Error(err)
			}
			won[i] = ok
		}()
	}
	wg.Wait()
	if n := countTrue(won); n != 1 {
		t.Fatalf("%d swaps from the same value won; want 1", n)
	}
	if ok, err := s.SwapSetting(ctx, "nokey", "", "x"); ok || err != nil {
		t.Fatalf("swap of a missing setting: %v, %v", ok, err)
	}
}
