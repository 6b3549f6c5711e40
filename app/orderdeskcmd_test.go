package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"shopbot/commerce"
	"shopbot/internal/cmdline"
	"shopbot/internal/testenv"
)

// shopbot orders list|show|export on a shop with two web orders, one
// paid: the list by status and shelf, search, one order, the CSV with its
// byte-order mark; help exits 0, usage errors 2, an unknown order 1.
func TestOrdersCLI(t *testing.T) {
	t.Parallel()
	cfg := sqliteConfig(t)
	s := start(t, cfg)
	ctx := context.Background()
	first, _ := placeWebOrder(t, s, testenv.UniqueName("cli-a"))
	second, id := placeWebOrder(t, s, testenv.UniqueName("cli-b"))
	o, err := s.app.Store.Order(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.app.desk.RecordPayment(ctx, second, commerce.PayTransfer, o.Total, "cli"); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"DATABASE_URL": cfg.DatabaseURL}
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(ctx, args, env(vars), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	for _, tc := range []struct {
		args []string
		code int
		want []string
		not  []string
	}{
		{[]string{"orders", "list"}, 0, []string{"NUMBER", first, second, "unpaid", "paid transfer", "2 of 2 orders"}, nil},
		{[]string{"orders", "list", "--status", "to_ship"}, 0, []string{first, second}, nil},
		{[]string{"orders", "list", "--status", "shipped"}, 0, []string{"0 of 0 orders"}, []string{first}},
		{[]string{"orders", "list", "--search", strings.ToLower(first)}, 0, []string{first, "1 of 1 orders"}, []string{second}},
		{[]string{"orders", "list", "--since", "1h"}, 0, []string{"2 of 2 orders"}, nil},
		{[]string{"orders", "list", "--since", "2999-01-01"}, 0, []string{"0 of 0 orders"}, nil},
		{[]string{"orders", "show", second}, 0, []string{"order " + second + "  confirmed", "Wang Fang, +86139", "paid ", "by transfer"}, nil},
		{[]string{"orders", "show", first}, 0, []string{"unpaid (pay at pickup)"}, nil},
		{[]string{"orders", "show", "ZZZZZZ"}, cmdline.ExitFailure, nil, nil},
		{[]string{"orders", "show"}, cmdline.ExitUsage, nil, nil},
		{[]string{"orders", "list", "--status", "lost"}, cmdline.ExitUsage, nil, nil},
		{[]string{"orders", "list", "--since", "yesterday"}, cmdline.ExitUsage, nil, nil},
		{[]string{"orders", "list", "--search", "?"}, cmdline.ExitUsage, nil, nil},
		{[]string{"orders", "export", "--format", "xlsx"}, cmdline.ExitUsage, nil, nil},
		{[]string{"orders", "export", "--status", "new"}, cmdline.ExitUsage, nil, nil},
		{[]string{"orders", "list", "--help"}, 0, []string{"--status", "--since"}, nil},
		{[]string{"orders", "export", "--help"}, 0, []string{"--format", "--out"}, nil},
	} {
		code, out, errOut := run(tc.args...)
		if code != tc.code {
			t.Errorf("shopbot %v: exit %d; want %d\n%s%s", tc.args, code, tc.code, out, errOut)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("shopbot %v: output lacks %q:\n%s", tc.args, w, out)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(out, w) {
				t.Errorf("shopbot %v: output has %q:\n%s", tc.args, w, out)
			}
		}
	}

	// The export: to standard output and to a file, the same CSV.
	code, out, errOut := run("orders", "export", "--format", "csv")
	if code != 0 || !strings.HasPrefix(out, "\uFEFForder,created,status,") {
		t.Fatalf("export: exit %d\n%s%s", code, out, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF"))).ReadAll()
	if err != nil || len(rows) != 3 || rows[1][0] != first || rows[2][0] != second || rows[1][10] != "unpaid" || rows[2][10] != "paid" {
		t.Fatalf("export rows %q, %v", rows, err)
	}
	path := filepath.Join(t.TempDir(), "orders.csv")
	if code, _, errOut := run("orders", "export", "--since", "7d", "--out", path); code != 0 || !strings.Contains(errOut, "2 orders written") {
		t.Fatalf("export --out: exit %d %s", code, errOut)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != out {
		t.Fatalf("exported file differs from standard output: %v", err)
	}
}
