package app

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestDropEditCancelCommands(t *testing.T) {
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
	create := []string{"drop", "create", "--product", "1", "--units", "5", "--price", "99.50", "--starts", "+2h", "--limit", "2", "--key", "batch-7"}
	code, out, errOut := run(create...)
	m := regexp.MustCompile(`drop ([2-9a-z]{8}): 5 × `).FindStringSubmatch(out)
	if code != 0 || m == nil || strings.Contains(out, "made before") {
		t.Fatalf("create: %d\n%s\n%s", code, out, errOut)
	}
	dc := m[1]
	// The same key again: the same drop, not a second one.
	code, out, _ = run(create...)
	if code != 0 || !strings.Contains(out, "made before") || !strings.Contains(out, "drop "+dc+":") {
		t.Fatalf("create again: %d\n%s", code, out)
	}
	if _, out, _ := run("drop", "list"); strings.Count(out, "\n") != 1 {
		t.Fatalf("list after a repeated key:\n%s", out)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"drop", "edit"}, 2, "CODE"},
		{[]string{"drop", "edit", dc}, 2, "at least one of"},
		{[]string{"drop", "edit", dc, "--units", "0"}, 2, "--units"},
		{[]string{"drop", "edit", dc, "--units", "x"}, 2, "invalid value"},
		{[]string{"drop", "edit", dc, "--reserve", "5s"}, 2, "--reserve"},
		{[]string{"drop", "edit", dc, "--product", "2"}, 2, "unknown flag -product"},
		{[]string{"drop", "edit", dc, "--price", "abc"}, 2, "--price"},
		{[]string{"drop", "edit", dc, "--starts", "yesterday"}, 2, "--starts"},
		{[]string{"drop", "edit", dc, "--limit", "9"}, 1, "per-buyer limit"},
		{[]string{"drop", "edit", "zzzzzzzz", "--units", "9"}, 1, "not found"},
		{[]string{"drop", "cancel"}, 2, "CODE"},
		{[]string{"drop", "cancel", dc, "--units", "3"}, 2, "unknown flag -units"},
		{[]string{"drop", "cancel", "zzzzzzzz"}, 1, "not found"},
	} {
		code, _, errOut := run(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("shopbot %v = %d, %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
	if _, out, _ := run("drop", "show", dc); !strings.Contains(out, "units=5 ") || !strings.Contains(out, "99.50 CNY") {
		t.Fatalf("refused edits changed the drop:\n%s", out)
	}
	code, out, errOut = run("drop", "edit", dc, "--units", "8", "--price", "89", "--limit", "3", "--reserve", "20m", "--starts", "+3h")
	if code != 0 || !strings.Contains(out, "8 units (8 left) at 89.00 CNY") || !strings.Contains(out, "limit 3, reservation 20m0s") {
		t.Fatalf("edit: %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = run("drop", "cancel", dc)
	if code != 0 || !strings.Contains(out, "cancelled: sales stopped; 0 orders") {
		t.Fatalf("cancel: %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := run("drop", "cancel", dc); code != 0 || !strings.Contains(out, "cancelled before") {
		t.Fatalf("cancel again: %d\n%s", code, out)
	}
	if code, _, errOut := run("drop", "edit", dc, "--units", "9"); code != 1 || !strings.Contains(errOut, "is cancelled") {
		t.Fatalf("edit after cancel: %d %s", code, errOut)
	}
}
