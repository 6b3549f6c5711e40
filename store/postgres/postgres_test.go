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

func TestOpenErrorHidesPassword(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://shop:s3cretpw@127.0.0.1:1/none?connect_timeout=1", postgres.PoolOptions{})
	if err == nil {
		t.Fatal("Open on a closed port succeeded")
	}
	if strings.Contains(err.Error(), "s3cretpw") {
		t.Fatalf("error leaks the password: %v", err)
	}
}
