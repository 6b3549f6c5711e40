package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"shopbot/chatstate"
	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/store/sqlite"
	"shopbot/store/sqlstore"
	"shopbot/store/storetest"
)

func open(t *testing.T) *sqlstore.Store { return openWith(t, sqlstore.Options{}) }

func openWith(t *testing.T, opts sqlstore.Options) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "shop.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := sqlite.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	return sqlite.New(db, opts)
}

// TestStore runs the store conformance suite (store/storetest) on this
// driver: the shop's store, sessions and de-duplication.
func TestStore(t *testing.T) {
	storetest.Run(t, storetest.Driver{
		Shop: func(t *testing.T, hook func(commerce.Event) error) storetest.ShopStore {
			return openWith(t, sqlstore.Options{OnEvent: func(_ context.Context, _ *sql.Tx, e commerce.Event) error { return hook(e) }})
		},
		Sessions: func(t *testing.T) chatstate.SessionStore { return open(t) },
		Deduper:  func(t *testing.T) chatstate.Deduper { return open(t) },
	})
}

func TestMigrateTwice(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "shop.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for range 2 {
		if err := sqlite.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
}

func TestInboxPruned(t *testing.T) {
	clock := testenv.NewClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	s := openWith(t, sqlstore.Options{Now: clock.Now})
	ctx := context.Background()
	if err := s.Push(ctx, "web:gone", []byte("[]")); err != nil {
		t.Fatal(err)
	}
	clock.Advance(sqlstore.InboxTTL - time.Hour)
	if n, err := s.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("sweep before the TTL removed %d, %v", n, err)
	}
	clock.Advance(2 * time.Hour)
	if n, err := s.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep after the TTL removed %d, %v; want 1", n, err)
	}
	if left, _ := s.Pull(ctx, "web:gone", 10); len(left) != 0 {
		t.Fatalf("pruned notice still there: %q", left)
	}
}
