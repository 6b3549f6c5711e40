package app

import (
	"context"
	"encoding/json"

	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/commerce"
	"shopbot/internal/testenv"
)

// inboxTexts drains a web user's inbox and returns the texts in it.
func (s *shop) inboxTexts(user string) []string {
	s.t.Helper()
	code, body := s.getAs(user, "/api/inbox")
	if code != http.StatusOK {
		s.t.Fatalf("/api/inbox = %d %s", code, body)
	}
	var out chatResponse
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		s.t.Fatal(err)
	}
	var texts []string
	for _, r := range out.Replies {
		texts = append(texts, r.Text)
	}
	return texts
}

// restockPath: buyers of a sold-out product press "Notify me" (a second
// press says they wait already, one of them stops); a seller's CLI edit and
// racing restocks (seller edits, an import) bring it back; every waiting
// buyer gets exactly one notice with a button to the product, the one who
// stopped none.
func restockPath(t *testing.T, cfg Config) {
	s := start(t, cfg)
	ctx := context.Background()
	products, err := s.app.Store.Products(ctx, commerce.ProductFilter{Limit: 1})
	if err != nil || len(products) == 0 {
		t.Fatalf("products: %v", err)
	}
	p := products[0]
	if p, err = s.app.seller.AddStock(ctx, p.ID, -p.Stock); err != nil || p.Stock != 0 {
		t.Fatalf("sell out: %+v %v", p, err)
	}
	const buyers = 12
	users := make([]string, buyers)
	for i := range users {
		users[i] = testenv.UniqueName("rs")
		card := s.say(users[i], "action", "p:"+strconv.FormatInt(p.ID, 10))
		r := s.say(users[i], "action", action(t, card, "rsn:"))
		if !strings.Contains(r[0].Text, "once when") {
			t.Fatalf("subscribed: %q", r[0].Text)
		}
	}
	r := s.say(users[0], "action", "rsn:"+strconv.FormatInt(p.ID, 10))
	if !strings.Contains(r[0].Text, "already") {
		t.Fatalf("second press: %q", r[0].Text)
	}
	stopped := users[1]
	r = s.say(stopped, "action", action(t, r, "rsc:"))
	if !strings.Contains(r[0].Text, "no message") {
		t.Fatalf("cancelled: %q", r[0].Text)
	}

	// The seller's edit from the shell and racing restocks.
	if out := runCLI(t, cfg, "product", "edit", strconv.FormatInt(p.ID, 10), "--stock", "+2"); !strings.Contains(out, "2 in stock") {
		t.Fatalf("product edit --stock +2: %s", out)
	}
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				_, err = s.app.seller.AddStock(ctx, p.ID, 1)
			} else {
				q, rerr := s.app.Store.Product(ctx, p.ID)
				if rerr != nil {
					t.Error(rerr)
					return
				}
				q.Stock = 20 + i
				_, err = s.app.Store.UpsertProduct(ctx, q)
			}
			if err != nil {
				t.Errorf("restock %d: %v", i, err)
			}
		})
	}
	wg.Wait()

	got := map[string]int{}
	waitFor(t, 30*time.Second, "every waiting buyer's notice", func() bool {
		for _, u := range users {
			for _, text := range s.inboxTexts(u) {
				if strings.Contains(text, "back in stock") {
					got[u]++
				}
			}
		}
		return len(got) >= buyers-1
	})
	waitFor(t, 30*time.Second, "no pending notice", func() bool {
		pending, err := s.app.queue.PendingNotices(ctx)
		return err == nil && len(pending) == 0
	})
	time.Sleep(200 * time.Millisecond) // a job still running delivers by now
	for _, u := range users {
		for _, text := range s.inboxTexts(u) {
			if strings.Contains(text, "back in stock") {
				got[u]++
			}
		}
	}
	for _, u := range users {
		want := 1
		if u == stopped {
			want = 0
		}
		if got[u] != want {
			t.Errorf("buyer %s got %d notices; want %d", u, got[u], want)
		}
	}
	// The notice opens the product, which is in stock now.
	n := s.say(users[2], "action", "p:"+strconv.FormatInt(p.ID, 10))
	if action(t, n, "add:") == "" {
		t.Fatal("the restocked card has no add button")
	}
	// The buyer may wait again the next time it sells out.
	if _, err := s.app.seller.AddStock(ctx, p.ID, -mustStock(t, s, p.ID)); err != nil {
		t.Fatal(err)
	}
	if r := s.say(users[2], "action", "rsn:"+strconv.FormatInt(p.ID, 10)); !strings.Contains(r[0].Text, "once when") {
		t.Fatalf("subscribing again after a notice: %q", r[0].Text)
	}
}

func mustStock(t *testing.T, s *shop, id int64) int {
	t.Helper()
	p, err := s.app.Store.Product(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p.Stock
}

func TestRestockSQLite(t *testing.T) {
	t.Parallel()
	restockPath(t, sqliteConfig(t))
}

func TestRestockPostgresRedis(t *testing.T) {
	t.Parallel()
	restockPath(t, postgresRedisConfig(t))
}
