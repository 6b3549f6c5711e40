package postgres_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"shopbot/chatstate"
	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/store/postgres"
	"shopbot/store/sqlstore"
	"shopbot/store/storetest"
)

func open(t *testing.T) *sqlstore.Store { return openWith(t, sqlstore.Options{}) }

func openWith(t *testing.T, opts sqlstore.Options) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, testenv.PostgresSchema(t), postgres.PoolOptions{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if err := postgres.Migrate(ctx, db.SQL); err != nil {
		t.Fatal(err)
	}
	return postgres.New(db.SQL, opts)
}

func TestShopStore(t *testing.T) {
	storetest.RunShopStore(t, func(t *testing.T) commerce.Store { return open(t) })
}

func TestDropStore(t *testing.T) {
	storetest.RunDropStore(t, func(t *testing.T) storetest.DropTestStore { return open(t) })
}

func TestDropPostStore(t *testing.T) {
	storetest.RunDropPostStore(t, func(t *testing.T) storetest.DropPostTestStore { return open(t) })
}

func TestSessionStore(t *testing.T) {
	storetest.RunSessionStore(t, func(t *testing.T) chatstate.SessionStore { return open(t) })
}

func TestDeduper(t *testing.T) {
	storetest.RunDeduper(t, func(t *testing.T) chatstate.Deduper { return open(t) })
}

func TestOpenErrorHidesPassword(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://shop:s3cretpw@127.0.0.1:1/none?connect_timeout=1", postgres.PoolOptions{})
	if err == nil {
		t.Fatal("Open on a closed port succeeded")
	}
	if strings.Contains(err.Error(), "s3cretpw") {
		t.Fatalf("error leaks the password: %v", err)
	}
}

func TestEvents(t *testing.T) {
	storetest.RunEvents(t, func(t *testing.T, hook func(commerce.Event) error) commerce.Store {
		return openWith(t, sqlstore.Options{OnEvent: func(_ context.Context, _ *sql.Tx, e commerce.Event) error { return hook(e) }})
	})
}

func TestPickupStore(t *testing.T) {
	storetest.RunPickupStore(t, func(t *testing.T, hook func(commerce.Event) error) storetest.PickupTestStore {
		return openWith(t, sqlstore.Options{OnEvent: func(_ context.Context, _ *sql.Tx, e commerce.Event) error { return hook(e) }})
	})
}

func TestDropFlows(t *testing.T) {
	storetest.RunDropFlows(t, func(t *testing.T, hook func(commerce.Event) error) storetest.DropFlowTestStore {
		return openWith(t, sqlstore.Options{OnEvent: func(_ context.Context, _ *sql.Tx, e commerce.Event) error { return hook(e) }})
	})
}

func TestDropAdmin(t *testing.T) {
	storetest.RunDropAdmin(t, func(t *testing.T, hook func(commerce.Event) error) storetest.DropFlowTestStore {
		return openWith(t, sqlstore.Options{OnEvent: func(_ context.Context, _ *sql.Tx, e commerce.Event) error { return hook(e) }})
	})
}

func TestSettingsInbox(t *testing.T) {
	storetest.RunSettingsInbox(t, func(t *testing.T) storetest.SettingsInbox { return open(t) })
}

func TestSellerStore(t *testing.T) {
	storetest.RunSellerStore(t, func(t *testing.T) storetest.SellerTestStore { return open(t) })
}

func TestBroadcastStore(t *testing.T) {
	storetest.RunBroadcastStore(t, func(t *testing.T, hook func(commerce.Event) error) storetest.BroadcastTestStore {
		return openWith(t, sqlstore.Options{OnEvent: func(_ context.Context, _ *sql.Tx, e commerce.Event) error { return hook(e) }})
	})
}
