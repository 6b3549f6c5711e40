package app

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestMainSubcommands(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "shop.db")
	ctx := context.Background()
	run := func(vars map[string]string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(ctx, args, env(vars), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	vars := map[string]string{"DATABASE_URL": db}
	if code, _, errOut := run(vars, "migrate"); code != 0 {
		t.Fatalf("migrate exit %d: %s", code, errOut)
	}
	code, out, errOut := run(vars, "catalog", "import", filepath.Join("..", "catalogio", "testdata", "example.csv"))
	if code == 0 {
		t.Fatalf("import into a database without categories succeeded: %s", out)
	}
	if !strings.Contains(errOut, "unknown categories") {
		t.Fatalf("import error does not name the missing categories: %s", errOut)
	}
	if code, _, errOut := run(vars, "demo", "seed"); code != 0 {
		t.Fatalf("demo seed exit %d: %s", code, errOut)
	}
	code, out, errOut = run(vars, "catalog", "import", filepath.Join("..", "catalogio", "testdata", "example.csv"))
	if code != 0 || !strings.Contains(out, "imported 4 products") {
		t.Fatalf("catalog import exit %d: %s %s", code, out, errOut)
	}
	code, out, errOut = run(vars, "catalog", "import", filepath.Join("..", "catalogio", "testdata", "example.json"))
	if code != 0 || !strings.Contains(out, "imported 4 products") {
		t.Fatalf("catalog import json exit %d: %s %s", code, out, errOut)
	}
	for _, tc := range []struct {
		vars map[string]string
		args []string
		code int
	}{
		{vars, []string{"frobnicate"}, 2},
		{vars, []string{"demo"}, 2},
		{vars, []string{"catalog", "import"}, 2},
		{vars, []string{"catalog", "import", "prices.xlsx"}, 1},
		{vars, []string{"catalog", "import", "missing.csv"}, 1},
		{map[string]string{"DATABASE_URL": "mysql://x"}, []string{"migrate"}, 2},
		{map[string]string{"SHOPBOT_RESERVATION_TTL": "soon"}, []string{"migrate"}, 2},
		{map[string]string{"DATABASE_URL": "postgres://u:hunter2@127.0.0.1:1/db?connect_timeout=1"}, []string{"migrate"}, 1},
		{vars, []string{"help"}, 0},
	} {
		code, out, errOut := run(tc.vars, tc.args...)
		if code != tc.code {
			t.Errorf("%v: exit %d; want %d (%s%s)", tc.args, code, tc.code, out, errOut)
		}
		if strings.Contains(errOut, "hunter2") {
			t.Errorf("%v: the log shows the database password: %s", tc.args, errOut)
		}
	}
}

// A session lives in the database: a restart keeps the cart.
func TestSessionSurvivesRestart(t *testing.T) {
	t.Parallel()
	cfg := sqliteConfig(t)
	user := "restart-user-1"
	first := start(t, cfg)
	r := first.say(user, "text", "/start")
	r = first.say(user, "action", button(t, r, "Shop"))
	r = first.say(user, "action", button(t, r, "Snacks"))
	r = first.say(user, "action", r[0].Buttons[0][0].Action)
	first.say(user, "action", button(t, r, "Add 1"))
	first.stop()
	s := start(t, cfg)
	r = s.say(user, "text", "/cart")
	if !strings.Contains(lastText(r), "Total: ¥") {
		t.Fatalf("cart after restart = %q", lastText(r))
	}
}
