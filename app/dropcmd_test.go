package app

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestDropCommands(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "shop.db"), "SHOPBOT_PUBLIC_URL": "https://shop.example"}
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(context.Background(), args, env(vars), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	if code, _, errOut := run("demo", "seed"); code != 0 {
		t.Fatalf("demo seed: %d %s", code, errOut)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"drop"}, 2, "missing subcommand"},
		{[]string{"drop", "create", "--units", "5"}, 2, `Required flags "product, starts" not set`},
		{[]string{"drop", "create", "--product", "1", "--units", "5", "--starts", "+1h", "--tz", "Mars/Base"}, 2, "--tz"},
		{[]string{"drop", "create", "--product", "1", "--units", "5", "--starts", "+1h", "--reserve", "10s"}, 2, "--reserve"},
		{[]string{"drop", "create", "--product", "NOPE", "--units", "5", "--starts", "+1h"}, 1, "not found"},
		{[]string{"drop", "create", "--product", "1", "--units", "5", "--starts", "yesterday"}, 1, "--starts"},
		{[]string{"drop", "create", "--product", "1", "--units", "5", "--starts", "+1h", "--price", "-1"}, 1, "--price"},
		{[]string{"drop", "create", "--product", "1", "--units", "5", "--starts", "+1h", "--limit", "9"}, 1, "per-buyer limit"},
		{[]string{"drop", "show"}, 2, "CODE"},
		{[]string{"drop", "show", "zzzzzzzz"}, 1, "not found"},
		{[]string{"drop", "frobnicate"}, 2, "unknown subcommand"},
	} {
		code, _, errOut := run(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("shopbot %v = %d, %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
	code, out, errOut := run("drop", "create", "--product", "1", "--units", "5", "--price", "99.50", "--starts", "2099-01-01 20:00")
	if code != 1 || !strings.Contains(errOut, "year ahead") {
		t.Fatalf("a start decades ahead: %d %s %s", code, out, errOut)
	}
	code, out, errOut = run("drop", "create", "--product", "1", "--units", "5", "--price", "99.50", "--starts", "20:00",
		"--tz", "Europe/Moscow", "--limit", "2", "--reserve", "20m")
	m := regexp.MustCompile(`drop ([2-9a-z]{8}): 5 × `).FindStringSubmatch(out)
	if code != 0 || m == nil || !strings.Contains(out, "99.50 CNY") || !strings.Contains(out, "20:00 MSK") ||
		!strings.Contains(out, "https://shop.example/d/"+m[1]+"/poster.png") {
		t.Fatalf("create: %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := run("drop", "list"); code != 0 || !strings.Contains(out, m[1]) || !strings.Contains(out, "5/5") {
		t.Fatalf("list: %d %s", code, out)
	}
	if code, out, _ := run("drop", "show", m[1]); code != 0 ||
		!strings.Contains(out, "units=5 sold=0 reserved=0 left=5 waitlisted=0 subscribers=0 orders=0 revenue=0.00 CNY") {
		t.Fatalf("show: %d %s", code, out)
	}
}
