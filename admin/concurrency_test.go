package admin

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLoginLinkRace: one link opened at once in many browsers signs in
// exactly one of them.
func TestLoginLinkRace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.token(seller, time.Minute)
	const n = 12
	codes := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := httptest.NewRequest(http.MethodPost, "/admin/login", strings.NewReader(url.Values{"token": {tok}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			e.mux.ServeHTTP(w, r)
			codes[i] = w.Code
		}()
	}
	close(start)
	wg.Wait()
	won := 0
	for _, c := range codes {
		switch c {
		case http.StatusSeeOther:
			won++
		case http.StatusGone:
		default:
			t.Errorf("a login answered %d", c)
		}
	}
	if won != 1 {
		t.Fatalf("%d browsers signed in with one link (%v); want exactly 1", won, codes)
	}
}

// FuzzOrderFilter: whatever the orders page's query says, the filter
// reads without panicking, keeps only known statuses and real days, and
// the search stays short.
func FuzzOrderFilter(f *testing.F) {
	f.Add("confirmed", "2026-11-25", "2026-11-30", "5678", "12")
	f.Add("nonsense", "2026-02-30", "tomorrow", "%_\\'\"", "-1")
	f.Add("", "", "", strings.Repeat("王", 300), "")
	c := &Console{zone: shanghai}
	f.Fuzz(func(t *testing.T, status, from, to, search, before string) {
		q := url.Values{"status": {status}, "from": {from}, "to": {to}, "q": {search}, "before": {before}}
		r := httptest.NewRequest(http.MethodGet, "/admin/orders?"+q.Encode(), nil)
		filter, query := c.parseFilter(r)
		if len(query.Statuses) > 1 || (filter.Status != "" && len(query.Statuses) != 1) {
			t.Fatalf("status %q → %+v", status, query.Statuses)
		}
		if filter.From != "" && query.From.IsZero() || filter.To != "" && query.To.IsZero() {
			t.Fatalf("days %q %q → %+v", from, to, query)
		}
		if len([]rune(query.Search)) > 100 {
			t.Fatalf("search of %d characters kept", len([]rune(query.Search)))
		}
		_ = filter.query().Encode()
	})
}
