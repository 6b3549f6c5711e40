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

// shopbot orders refund|refunded on a shop with an order paid by
// transfer and one unpaid: a refund of an amount (recorded once however
// often the command runs), the rest, nothing left; the manual refund
// marked made; orders show lists them; help exits 0, usage errors 2.
func TestOrdersRefundCLI(t *testing.T) {
	t.Parallel()
	cfg := sqliteConfig(t)
	s := start(t, cfg)
	ctx := context.Background()
	unpaid, _ := placeWebOrder(t, s, testenv.UniqueName("ref-a"))
	paid, id := placeWebOrder(t, s, testenv.UniqueName("ref-b"))
	o, err := s.app.Store.Order(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.app.desk.RecordPayment(ctx, paid, commerce.PayTransfer, o.Total, "cli"); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"DATABASE_URL": cfg.DatabaseURL}
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(ctx, args, env(vars), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	one, err := commerce.ParseMoney("1", o.Total.Currency)
	if err != nil || one.Amount >= o.Total.Amount {
		t.Fatalf("the order's total %v is too small for a test refund of one (%v)", o.Total, err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"orders", "refund", "--help"}, 0, []string{"--line", "--amount", "--reason"}},
		{[]string{"orders", "refunded", "--help"}, 0, []string{"OUT_REFUND_NO"}},
		{[]string{"orders", "refund", paid}, cmdline.ExitUsage, nil},
		{[]string{"orders", "refund", "--reason", "x"}, cmdline.ExitUsage, nil},
		{[]string{"orders", "refund", paid, "--reason", "x", "--line", "1"}, cmdline.ExitUsage, nil},
		{[]string{"orders", "refund", paid, "--reason", "x", "--line", "0:1"}, cmdline.ExitUsage, nil},
		{[]string{"orders", "refund", paid, "--reason", "x", "--line", "1:1", "--line", "1:1"}, cmdline.ExitUsage, nil},
		{[]string{"orders", "refund", paid, "--reason", "x", "--line", "1:1", "--amount", "1"}, cmdline.ExitUsage, nil},
		{[]string{"orders", "refund", paid, "--reason", "x", "--amount", "-1"}, cmdline.ExitUsage, nil},
		{[]string{"orders", "refund", paid, "--reason", "x", "--amount", "1.001"}, cmdline.ExitUsage, nil},
		{[]string{"orders", "refund", paid, "--reason", strings.Repeat("x", 81)}, cmdline.ExitUsage, nil},
		{[]string{"orders", "refunded"}, cmdline.ExitUsage, nil},
		{[]string{"orders", "refund", "ZZZZZZ", "--reason", "x"}, cmdline.ExitFailure, nil},
		{[]string{"orders", "refund", unpaid, "--reason", "x"}, cmdline.ExitFailure, nil},
		{[]string{"orders", "refund", paid, "--reason", "x", "--line", "9:1"}, cmdline.ExitFailure, nil},
		{[]string{"orders", "refunded", "ZZZZZZR1"}, cmdline.ExitFailure, nil},
		{[]string{"orders", "refund", paid, "--reason", "x", "--line", "1:2"}, cmdline.ExitFailure, nil},
		{[]string{"orders", "refund", paid, "--reason", "broken", "--amount", "1"}, 0, []string{"refund " + paid + "R", "manual", "shopbot orders refunded " + paid + "R"}},
		{[]string{"orders", "refund", paid, "--reason", "broken", "--amount", "1.00"}, 0, []string{"(recorded before)"}},
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
	}
	refunds, err := s.app.sellerPayments().Refunds(ctx, id)
	if err != nil || len(refunds) != 1 || refunds[0].Amount != one || refunds[0].State != commerce.RefundManual || refunds[0].By != "cli" {
		t.Fatalf("refunds %+v, %v; want one manual refund of one", refunds, err)
	}
	no := refunds[0].OutRefundNo
	if code, out, errOut := run("orders", "refund", paid, "--reason", "the rest"); code != 0 || !strings.Contains(out, "manual") {
		t.Fatalf("refund the rest: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := run("orders", "refund", paid, "--reason", "the rest"); code != 0 || !strings.Contains(out, "(recorded before)") {
		t.Fatalf("refund the rest again: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, _ := run("orders", "refund", paid, "--reason", "more", "--key", "another"); code != cmdline.ExitNotDone {
		t.Fatalf("refund with nothing left: exit %d; want %d", code, cmdline.ExitNotDone)
	}
	if code, out, errOut := run("orders", "refunded", strings.ToLower(no)); code != 0 || !strings.Contains(out, "marked as made") {
		t.Fatalf("refunded: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, _ := run("orders", "refunded", no); code != cmdline.ExitNotDone {
		t.Fatalf("refunded twice: exit %d; want %d", code, cmdline.ExitNotDone)
	}
	code, out, _ := run("orders", "show", paid)
	if code != 0 || !strings.Contains(out, "refund "+no+" ") || !strings.Contains(out, "succeeded") || !strings.Contains(out, "manual") {
		t.Fatalf("show: exit %d\n%s", code, out)
	}
	code, out, _ = run("orders", "export")
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF"))).ReadAll()
	if code != 0 || err != nil || len(rows) != 3 || rows[2][0] != paid || rows[2][len(rows[2])-2] != one.Decimal() ||
		rows[2][len(rows[2])-1] != (commerce.Money{Amount: o.Total.Amount - one.Amount, Currency: o.Total.Currency}).Decimal() {
		t.Fatalf("export: exit %d rows %q, %v", code, rows, err)
	}
}
