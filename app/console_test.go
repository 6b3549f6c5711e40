package app

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"shopbot/internal/cmdline"
)

// TestAdminCLI: "admin link" prints a console login link for a seller of
// SHOPBOT_ADMINS and refuses anyone else with exit 2; the link signs a
// browser in to /admin once; "admin signout" ends the session.
func TestAdminCLI(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "shop.db"), "SHOPBOT_ADMINS": "tg:1001"}
	run := shopbot(t, vars)
	code, out, errOut := run("admin", "link", "tg:1001")
	if code != 0 || !strings.Contains(out, "/admin/login?token=") {
		t.Fatalf("admin link = %d, %q, %q", code, out, errOut)
	}
	tok := strings.TrimSpace(out[strings.Index(out, "token=")+len("token="):])
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"admin", "link", "tg:2002"}, "tg:2002 is not a seller: add it to SHOPBOT_ADMINS"},
		{[]string{"admin", "link"}, "missing IDENTITY"},
		{[]string{"admin", "link", "tg:1001", "-ttl", "25h"}, "want 1s to 24h0m0s"},
		{[]string{"admin", "signout", "nobody"}, `IDENTITY "nobody"`},
	} {
		if code, out, errOut := run(tc.args...); code != cmdline.ExitUsage || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q = %d, %q, %q; want 2 and %q", tc.args, code, out, errOut, tc.want)
		}
	}
	cfg, err := CoreConfigFromEnv(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	a := openApp(t, cfg)
	b := &staffBrowser{t: t, h: a.Handler()}
	w := b.post("/admin/login", url.Values{"token": {tok}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("sign in with the CLI's link: %d %s", w.Code, w.Body)
	}
	b.cookie = w.Result().Cookies()[0]
	if w := b.get("/admin"); w.Code != http.StatusOK {
		t.Fatalf("/admin: %d", w.Code)
	}
	if w := (&staffBrowser{t: t, h: a.Handler()}).post("/admin/login", url.Values{"token": {tok}}); w.Code != http.StatusGone {
		t.Fatalf("the link again: %d", w.Code)
	}
	a.Close()
	if code, out, errOut := run("admin", "signout", "tg:1001"); code != 0 || !strings.Contains(out, "1 session ended") {
		t.Fatalf("admin signout = %d, %q, %q", code, out, errOut)
	}
	a = openApp(t, cfg)
	b.h = a.Handler()
	if w := b.get("/admin"); w.Code != http.StatusUnauthorized {
		t.Fatalf("/admin after signout: %d", w.Code)
	}
}
