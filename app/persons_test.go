package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"shopbot/commerce"
)

// Phone numbers stored before E.164 (as typed) are normalized when the app
// opens the database, once: "13711110001" and "+86 137 1111 0001" become
// one number.
func TestOpenNormalizesStoredPhones(t *testing.T) {
	t.Parallel()
	cfg := sqliteConfig(t)
	open := func() *App {
		a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	ctx := context.Background()
	a := open()
	p, err := a.Store.Products(ctx, commerce.ProductFilter{Limit: 1})
	if err != nil || len(p) == 0 {
		t.Fatal(err)
	}
	pts, _ := a.Store.PickupPoints(ctx)
	var ids []int64
	for i, old := range []string{"13711110001", "+86 137 1111 0001"} {
		now := time.Now()
		o, _, err := a.Store.PlaceOrder(ctx, commerce.Order{Number: commerce.NewOrderNumber(), Buyer: commerce.Buyer{Channel: "web", UserID: "old"},
			ChatID: "old", Lang: "en", Status: commerce.StatusPending, PickupPointID: pts[0].ID, ContactName: "Li", Phone: old,
			IdempotencyKey: "old-" + old, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour),
			Lines: []commerce.OrderLine{{ProductID: p[0].ID, SKU: p[0].SKU, Title: p[0].Title, UnitPrice: p[0].Price, Qty: 1}},
			Total: p[0].Price}, commerce.PersonLimits{})
		if err != nil {
			t.Fatalf("order %d: %v", i, err)
		}
		ids = append(ids, o.ID)
	}
	// As a database from before: its phones never normalized.
	if _, err := a.Store.DB().ExecContext(ctx, `DELETE FROM settings WHERE key = 'phones_e164_region'`); err != nil {
		t.Fatal(err)
	}
	a.Close()
	a = open()
	defer a.Close()
	for _, id := range ids {
		if o, err := a.Store.Order(ctx, id); err != nil || o.Phone != "+8613711110001" {
			t.Errorf("order %d phone = %q, %v; want +8613711110001", id, o.Phone, err)
		}
	}
}

// SHOPBOT_ADMINS names Telegram and WeChat identities only: a web
// identity is a configuration error at start (exit 2), nothing done.
func TestWebAdminRefusedAtStart(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "shop.db"), "SHOPBOT_ADMINS": "tg:1,web:alice"}
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), []string{"migrate"}, env(vars), &out, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), "SHOPBOT_ADMINS") || !strings.Contains(errOut.String(), "web:alice") {
		t.Fatalf("exit %d, %q; want 2 naming SHOPBOT_ADMINS and web:alice", code, errOut.String())
	}
}

// A web identity that signed in with WeChat becomes the same person as the
// WeChat follower with that openid: the app's wiring of the web chat's
// LinkWeChat to the persons' trusted link.
func TestWeChatSignInLinksThePerson(t *testing.T) {
	t.Parallel()
	a, err := Open(context.Background(), sqliteConfig(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := t.Context()
	if err := a.linkWeChat(ctx, "Zx9vQm2LwA7bC3dE4fG5hQ", "oWeChatOpenID0001"); err != nil {
		t.Fatal(err)
	}
	ids, err := a.Persons().Identities(ctx, "wx:oWeChatOpenID0001")
	if err != nil {
		t.Fatal(err)
	}
	got := map[commerce.Identity]bool{}
	for _, id := range ids {
		got[id] = true
	}
	if !got["web:Zx9vQm2LwA7bC3dE4fG5hQ"] || !got["wx:oWeChatOpenID0001"] || len(ids) != 2 {
		t.Fatalf("identities of the follower = %v; want the web identity and the follower", ids)
	}
}
