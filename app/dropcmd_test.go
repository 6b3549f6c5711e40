package app

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"shopbot/commerce"
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
		!strings.Contains(out, "https://shop.example/d/"+m[1]+"/poster.png") ||
		!regexp.MustCompile(`stock: +\d+ of \S+ on hand in the shop; the drop's 5 units are separate`).MatchString(out) {
		t.Fatalf("create: %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := run("drop", "list"); code != 0 || !regexp.MustCompile(m[1]+`.*scheduled +5/5`).MatchString(out) {
		t.Fatalf("list: %d %s", code, out)
	}
	if code, out, _ := run("drop", "show", m[1]); code != 0 ||
		!strings.Contains(out, "state=scheduled units=5 sold=0 reserved=0 left=5 waitlisted=0 subscribers=0 orders=0 revenue=0.00 CNY") {
		t.Fatalf("show: %d %s", code, out)
	}
}

// TestDropListStates: a cancelled drop is listed as cancelled, one started
// with nothing left as ended, one on sale as on sale.
func TestDropListStates(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "shop.db")}
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(context.Background(), args, env(vars), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	if code, _, errOut := run("demo", "seed"); code != 0 {
		t.Fatalf("demo seed: %d %s", code, errOut)
	}
	codeOf := func(args ...string) string {
		t.Helper()
		code, out, errOut := run(args...)
		m := regexp.MustCompile(`drop ([2-9a-z]{8}): `).FindStringSubmatch(out)
		if code != 0 || m == nil {
			t.Fatalf("%v: %d %s %s", args, code, out, errOut)
		}
		return m[1]
	}
	cancelled := codeOf("drop", "create", "--product", "1", "--units", "3", "--starts", "+2h")
	live := codeOf("drop", "create", "--product", "2", "--units", "3", "--starts", "now")
	if code, out, errOut := run("drop", "cancel", cancelled); code != 0 || !strings.Contains(out, "cancelled") {
		t.Fatalf("cancel: %d %s %s", code, out, errOut)
	}
	_, out, _ := run("drop", "list")
	for code, state := range map[string]string{cancelled: "cancelled", live: "on sale"} {
		if !regexp.MustCompile(code + `\s+\S+ \S+ \S+\s+` + state + `\s`).MatchString(out) {
			t.Errorf("drop %s not listed as %s:\n%s", code, state, out)
		}
	}
	now := time.Now()
	for _, tc := range []struct {
		d    commerce.Drop
		want string
	}{
		{commerce.Drop{StartsAt: now.Add(time.Hour), Left: 3}, "scheduled"},
		{commerce.Drop{StartsAt: now.Add(-time.Hour), Left: 3}, "on sale"},
		{commerce.Drop{StartsAt: now.Add(-time.Hour), Left: 0}, "ended"},
		{commerce.Drop{StartsAt: now.Add(-time.Hour), Left: 3, CancelledAt: now}, "cancelled"},
		{commerce.Drop{StartsAt: now.Add(time.Hour), Left: 3, CancelledAt: now}, "cancelled"},
	} {
		if got := dropState(tc.d, now); got != tc.want {
			t.Errorf("dropState(%+v) = %q; want %q", tc.d, got, tc.want)
		}
	}
}
