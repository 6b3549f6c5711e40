package app

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestCategoryCommands: an empty shop gets its categories from the shell,
// then a product in one of them; prices in another currency are refused.
func TestCategoryCommands(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "shop.db")}
	ctx := context.Background()
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(ctx, args, env(vars), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	steps := []struct {
		args    []string
		code    int
		out     string // in stdout (code 0) or stderr
		comment string
	}{
		{[]string{"product", "add", "--title", "Tea", "--price", "10", "--stock", "1", "--origin", "local", "--category", "tea"}, 2,
			"shopbot categories add", "no categories: the error says how to make one"},
		{[]string{"categories", "add", "Snacks"}, 0, "added category 1 (snacks): en: Snacks", ""},
		{[]string{"categories", "add", "保健品"}, 0, "(c2): zh-CN: 保健品", "a Chinese title is stored as Chinese"},
		{[]string{"categories", "add", "Чай", "--slug", "tea"}, 0, "(tea): ru: Чай", ""},
		{[]string{"categories", "add", "Tea", "--slug", "tea"}, 2, "add category", "a taken slug"},
		{[]string{"categories", "add", "Tea", "--slug", "Bad Slug"}, 2, "--slug", ""},
		{[]string{"categories", "add"}, 2, "missing TITLE", ""},
		{[]string{"categories", "rename", "tea", "Tea"}, 0, "en: Tea · ru: Чай", "the other language stays"},
		{[]string{"categories", "rename", "tea", "Thé", "--lang", "fr"}, 2, "--lang", ""},
		{[]string{"categories", "rename", "nothing", "X"}, 2, "not found", ""},
		{[]string{"categories", "move", "tea", "top"}, 0, "1. Tea (3, visible)\n2. Snacks (1, visible)\n3. 保健品 (2, visible)", ""},
		{[]string{"categories", "move", "tea", "sideways"}, 2, "up, down", ""},
		{[]string{"categories", "hide", "保健品"}, 0, "category 2 (c2): hidden", ""},
		{[]string{"categories", "unhide", "c2"}, 0, "category 2 (c2): visible", ""},
		{[]string{"categories", "list"}, 0, "3   tea     visible  en: Tea · ru: Чай", ""},
		{[]string{"product", "add", "--title", "Pryanik", "--price", "RUB 90", "--stock", "1", "--origin", "local", "--category", "snacks"}, 2,
			"the shop sells in CNY", "a price in another currency"},
		{[]string{"product", "add", "--title", "Crackers", "--price", "12.50", "--stock", "3", "--origin", "local", "--category", "Snacks",
			"--sku", "CR-1"}, 0, "12.50 CNY", "a bare price is in the shop's currency"},
		{[]string{"product", "edit", "CR-1", "--title", "苏打饼干"}, 0, "", "a Chinese title is added as Chinese"},
		{[]string{"product", "show", "CR-1"}, 0, "title zh-CN  苏打饼干", "both languages kept"},
		{[]string{"product", "show", "CR-1"}, 0, "title en     Crackers", ""},
	}
	for _, s := range steps {
		code, out, errOut := run(s.args...)
		got := out
		if s.code != 0 {
			got = errOut
		}
		if code != s.code || !strings.Contains(got, s.out) {
			t.Errorf("%s (%s): exit %d\nstdout: %s\nstderr: %s\nwant exit %d and %q", strings.Join(s.args, " "), s.comment, code, out, errOut, s.code, s.out)
		}
	}
}
