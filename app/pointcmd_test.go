package app

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestPointCommands: pickup points from an empty shop's shell.
func TestPointCommands(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "shop.db")}
	ctx := context.Background()
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(ctx, args, env(vars), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	steps := []struct {
		args []string
		code int
		out  string // in stdout (exit 0) or stderr
	}{
		{[]string{"pickup", "points", "add", "SH-1", "--name", "Jing'an counter", "--address", "1 West Nanjing Rd", "--tz", "Asia/Shanghai",
			"--lat", "31.23", "--lng", "121.47", "--bonded-zone"}, 0,
			"added pickup point SH-1 (open): Jing'an counter · 1 West Nanjing Rd · Asia/Shanghai · 31.23,121.47 · no hours · bonded zone"},
		{[]string{"pickup", "points", "add", "SH-1", "--name", "X", "--address", "Y"}, 2, "there is a pickup point SH-1 already"},
		{[]string{"pickup", "points", "add", "SH 2", "--name", "X", "--address", "Y"}, 2, "CODE"},
		{[]string{"pickup", "points", "add", "SH-2", "--name", "X"}, 2, "address"},
		{[]string{"pickup", "points", "add", "SH-2", "--name", "X", "--address", "Y", "--tz", "Mars/Olympus"}, 2, "--tz"},
		{[]string{"pickup", "points", "add", "SH-2", "--name", "X", "--address", "Y", "--lat", "31"}, 2, "--lat and --lng go together"},
		{[]string{"pickup", "points", "edit", "SH-1", "--name", "静安自提点", "--hours", "Mo-Su 10:00-21:00", "--bonded-zone=false"}, 0,
			"SH-1 (open): Jing'an counter · 1 West Nanjing Rd · Asia/Shanghai · 31.23,121.47 · Mo-Su 10:00-21:00"},
		{[]string{"pickup", "points", "edit", "SH-1"}, 2, "needs at least one of"},
		{[]string{"pickup", "points", "edit", "NOPE", "--name", "X"}, 2, "no pickup point"},
		{[]string{"pickup", "points", "close", "SH-1"}, 0, "SH-1 (closed)"},
		{[]string{"pickup", "points", "list"}, 0, "SH-1         closed  "},
		{[]string{"pickup", "points"}, 0, "Mo-Su 10:00-21:00 · 30 min × 4"},
		{[]string{"pickup", "points", "reopen", "SH-1"}, 0, "SH-1 (open)"},
	}
	for _, s := range steps {
		code, out, errOut := run(s.args...)
		got := out
		if s.code != 0 {
			got = errOut
		}
		if code != s.code || !strings.Contains(got, s.out) {
			t.Errorf("%s: exit %d\nstdout: %s\nstderr: %s\nwant exit %d and %q", strings.Join(s.args, " "), code, out, errOut, s.code, s.out)
		}
	}
}
