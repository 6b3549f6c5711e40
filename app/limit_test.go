package app

import (
	"net/http"
	"testing"

	"shopbot/internal/testenv"
)

// The message limit as wired: in-process on the embedded default, shared
// by the replicas through Redis. Over the limit a browser gets 429, the
// first time with "slow down".
func TestMessageLimitWiring(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, a, b *shop) {
		user := testenv.UniqueName("flood")
		if code, _ := a.post(map[string]any{"user": user, "text": "/start", "lang": "en"}); code != http.StatusOK {
			t.Fatalf("first message = %d", code)
		}
		// The bucket (one message, refilled in 100 s) is empty now, on
		// every replica.
		code, out := b.post(map[string]any{"user": user, "text": "/start", "lang": "en"})
		if code != http.StatusTooManyRequests || len(out.Replies) != 1 || out.Replies[0].Text != a.app.Router.Texts().Text("en", "err_slow_down", nil) {
			t.Fatalf("second message = %d %+v; want 429 and slow down", code, out.Replies)
		}
		if code, out := a.post(map[string]any{"user": user, "text": "/start", "lang": "en"}); code != http.StatusTooManyRequests || len(out.Replies) != 0 {
			t.Fatalf("third message = %d %+v; want 429 and nothing", code, out.Replies)
		}
		if code, _ := b.post(map[string]any{"user": testenv.UniqueName("calm"), "text": "/start", "lang": "en"}); code != http.StatusOK {
			t.Fatalf("someone else = %d", code)
		}
	}
	t.Run("SQLite", func(t *testing.T) {
		t.Parallel()
		cfg := sqliteConfig(t)
		cfg.MsgsPerSecond = 0.01
		s := start(t, cfg)
		check(t, s, s)
	})
	t.Run("PostgresRedis", func(t *testing.T) {
		t.Parallel()
		cfg := postgresRedisConfig(t)
		cfg.MsgsPerSecond = 0.01
		a := start(t, cfg)
		cfg.SeedDemo = false
		b := start(t, cfg) // a second replica on the same Postgres and Redis
		b.replicaOf = a    // the same browsers: one buyer on both
		check(t, a, b)
	})
}
