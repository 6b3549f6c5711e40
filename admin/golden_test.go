package admin

import (
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

var csrfValue = regexp.MustCompile(`name="csrf" value="[^"]*"`)

// TestGoldenPages: today's page and the products page of the demo shop,
// as a seller sees them (the session's token blanked).
func TestGoldenPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.clock.Advance(-48 * time.Hour)
	e.place("Ann", "+8613800000001", "COS-001", 2)
	e.clock.Advance(48 * time.Hour)
	e.place("Bob", "+8613800000002", "COS-001", 1)
	for _, tc := range []struct{ lang, path, file string }{
		{"en", "/admin", "today.en.html"},
		{"zh-CN", "/admin", "today.zh-CN.html"},
		{"ru", "/admin/products", "products.ru.html"},
	} {
		w := e.signIn(tc.lang).get(tc.path)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d", tc.path, w.Code)
		}
		got := csrfValue.ReplaceAllString(w.Body.String(), `name="csrf" value="CSRF"`)
		path := filepath.Join("testdata", tc.file)
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./admin -update)", err)
		}
		if string(want) != got {
			t.Errorf("%s differs from %s (go test ./admin -update, then review the diff):\n%s", tc.path, path, got)
		}
	}
}
