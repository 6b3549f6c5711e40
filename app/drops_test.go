package app

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/jobs"
)

// A drop reservation schedules its own expiry in the same transaction; when
// the job runs, the units go back to the drop exactly once.
func dropExpiry(t *testing.T, cfg Config) {
	clock := testenv.NewClock(time.Now())
	cfg.clock = clock
	s := start(t, cfg)
	ctx := context.Background()
	products, err := s.app.Store.Products(ctx, commerce.ProductFilter{Limit: 1})
	if err != nil || len(products) == 0 {
		t.Fatalf("products: %v", err)
	}
	d, err := s.app.drops.Create(ctx, commerce.Drop{ProductID: products[0].ID, Units: 3, Price: products[0].Price,
		StartsAt: time.Now().Add(-time.Minute), PerBuyerLimit: 1, ReservationTTL: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	buyer := commerce.Buyer{Channel: "web", UserID: "drop-buyer-1"}
	r, err := s.app.drops.Reserve(ctx, d.ID, buyer, 1, "drop-key-1")
	if err != nil {
		t.Fatal(err)
	}
	pending, err := s.app.queue.Pending(ctx, jobs.ExpireDropArgs{}.Kind())
	if err != nil {
		t.Fatal(err)
	}
	var job int64
	for _, p := range pending {
		var args jobs.ExpireDropArgs
		if json.Unmarshal(p.Args, &args) == nil && args.ReservationID == r.ID {
			job = p.ID
			if !p.At.Truncate(time.Second).Equal(r.ExpiresAt.Truncate(time.Second)) {
				t.Fatalf("expiry scheduled at %v; want %v", p.At, r.ExpiresAt)
			}
		}
	}
	if job == 0 {
		t.Fatalf("no expiry job for reservation %d in %+v", r.ID, pending)
	}
	if left, _ := s.app.Store.Drop(ctx, d.ID); left.Left != 2 {
		t.Fatalf("units left after one reservation = %d; want 2", left.Left)
	}
	// The reservation's time comes before the buyer orders: the job returns the unit.
	clock.Advance(11 * time.Minute)
	if err := s.app.queue.RunNow(ctx, job); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := s.app.Store.Drop(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Left == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the expiry job did not return the unit (left %d)", got.Left)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The buyer may reserve again; the limit counts only live reservations.
	// The Redis gate gets the unit back just after the database does, so a
	// moment's refusal is expected there, never a second unit too many.
	for {
		_, err := s.app.drops.Reserve(ctx, d.ID, buyer, 1, "drop-key-2")
		if err == nil {
			break
		}
		if !errors.Is(err, commerce.ErrDropLimit) || time.Now().After(deadline) {
			t.Fatalf("reserve after expiry: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got, _ := s.app.Store.Drop(ctx, d.ID); got.Left != 2 {
		t.Fatalf("units left after the second reservation = %d; want 2", got.Left)
	}
}

func TestDropExpirySQLite(t *testing.T) {
	t.Parallel()
	dropExpiry(t, sqliteConfig(t))
}

func TestDropExpiryPostgresRedis(t *testing.T) {
	t.Parallel()
	dropExpiry(t, postgresRedisConfig(t))
}

// The shareable page of a drop, its QR code and its Moments poster.
func TestDropPage(t *testing.T) {
	t.Parallel()
	s := start(t, sqliteConfig(t))
	ctx := context.Background()
	products, err := s.app.Store.Products(ctx, commerce.ProductFilter{Limit: 1})
	if err != nil || len(products) == 0 {
		t.Fatalf("products: %v", err)
	}
	d, err := s.app.drops.Create(ctx, commerce.Drop{ProductID: products[0].ID, Units: 100, Price: products[0].Price,
		StartsAt: time.Now().Add(time.Hour), PerBuyerLimit: 2, ReservationTTL: 15 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	code, body := s.get("/d/" + d.Code + "?lang=zh-CN")
	if code != http.StatusOK || !strings.Contains(body, `property="og:title"`) || !strings.Contains(body, products[0].Title.In("zh-CN")) {
		t.Fatalf("GET /d/%s = %d\n%s", d.Code, code, body)
	}
	for _, path := range []string{"/d/" + d.Code + "/poster.png", "/d/" + d.Code + "/qr.png"} {
		if code, body := s.get(path); code != http.StatusOK || !strings.HasPrefix(body, "\x89PNG") {
			t.Fatalf("GET %s = %d", path, code)
		}
	}
	for _, path := range []string{"/d/ZZZZZZZZ", "/d/ZZZZZZZZ/poster.png", "/d/ZZZZZZZZ/qr.png", "/d/<script>"} {
		if code, _ := s.get(path); code != http.StatusNotFound {
			t.Errorf("GET %s = %d; want 404", path, code)
		}
	}
	// Called off: the page says so, and there is no poster to share.
	if _, _, err := s.app.drops.Cancel(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if code, body := s.get("/d/" + d.Code + "?lang=en"); code != http.StatusOK || !strings.Contains(body, "The seller cancelled this drop") ||
		strings.Contains(body, "poster.png") {
		t.Fatalf("GET /d/%s after the cancel = %d\n%s", d.Code, code, body)
	}
	if code, _ := s.get("/d/" + d.Code + "/poster.png"); code != http.StatusNotFound {
		t.Errorf("poster of a cancelled drop = %d; want 404", code)
	}
}
