// Package testenv gives tests their real services: a Postgres schema and a
// Redis key prefix of their own, so packages can run in parallel.
//
// When DATABASE_URL / REDIS_URL are set, a test that cannot reach the service
// fails. When they are unset, tests needing them are skipped — unless
// SHOPBOT_REQUIRE_SERVICES=1 (set by .ci/run), which turns the skip into a
// failure, so CI cannot pass without really running them.
package testenv

import (
	"context"
	"crypto/rand"
	"net/url"
	"path/filepath"
	"time"

	"encoding/hex"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"

	"os"
	"strings"
	"testing"

	"shopbot/demo"
	"shopbot/store/sqlite"
	"shopbot/store/sqlstore"
)

// Required reports whether missing services must fail tests.
func Required() bool { return os.Getenv("SHOPBOT_REQUIRE_SERVICES") == "1" }

// PostgresURL returns DATABASE_URL when it is a Postgres URL; otherwise it
// skips the test (or fails it when services are required).
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("DATABASE_URL")
	if strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://") {
		return u
	}
	if Required() {
		t.Fatalf("SHOPBOT_REQUIRE_SERVICES=1 but DATABASE_URL is not a postgres URL (%q)", u)
	}
	t.Skip("DATABASE_URL not set to postgres://…; skipping Postgres test")
	return ""
}

// RedisURL returns REDIS_URL; otherwise it skips (or fails when required).
func RedisURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("REDIS_URL")
	if strings.HasPrefix(u, "redis://") || strings.HasPrefix(u, "rediss://") {
		return u
	}
	if Required() {
		t.Fatalf("SHOPBOT_REQUIRE_SERVICES=1 but REDIS_URL is not set (%q)", u)
	}
	t.Skip("REDIS_URL not set; skipping Redis test")
	return ""
}

// UniqueName returns prefix + "_" + 12 random hex characters: a schema name or
// key prefix no other test uses.
func UniqueName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + "_" + hex.EncodeToString(b[:])
}

// PostgresSchema creates a fresh schema on the DATABASE_URL server and returns
// a URL whose search_path points at it; the schema is dropped after the test.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("postgres: connect: %v", err)
	}
	defer conn.Close(ctx)
	schema := UniqueName("t")
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("postgres: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("postgres: drop schema: %v", err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("postgres: drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("postgres: DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// SQLite opens an empty, migrated SQLite store in the test's temporary
// directory and closes it after the test.
func SQLite(t testing.TB) *sqlstore.Store {
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
	return sqlite.New(db, sqlstore.Options{})
}

// DemoSQLite is SQLite seeded with the demo catalog.
func DemoSQLite(t testing.TB) *sqlstore.Store {
	t.Helper()
	st := SQLite(t)
	if err := demo.Seed(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	return st
}

// RedisPrefix returns a key prefix no other test uses on the REDIS_URL
// server, and deletes every key under it after the test.
func RedisPrefix(t testing.TB, redisURL, name string) string {
	t.Helper()
	prefix := UniqueName(name) + ":"
	t.Cleanup(func() {
		opts, err := goredis.ParseURL(redisURL)
		if err != nil {
			t.Errorf("redis cleanup: %v", err)
			return
		}
		c := goredis.NewClient(opts)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("redis cleanup: %v", err)
			return
		}
		if len(keys) > 0 {
			if err := c.Del(ctx, keys...).Err(); err != nil {
				t.Errorf("redis cleanup: %v", err)
			}
		}
	})
	return prefix
}
