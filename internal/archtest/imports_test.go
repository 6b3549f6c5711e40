// Package archtest checks the import rules of DESIGN.md.
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "shopbot"

// rule: packages matching from (prefix match on the path below the module)
// must not import any project package matching a forbidden prefix, except
// those allowed.
type rule struct {
	from      string
	forbidden []string
	allowed   []string // exceptions within forbidden
	why       string
}

var rules = []rule{
	{from: "commerce", forbidden: []string{""}, allowed: []string{"commerce"}, why: "commerce imports no other package of the project"},
	{from: "templates", forbidden: []string{""}, allowed: []string{"templates", "commerce"}, why: "templates only formats commerce values"},
	{from: "bot", forbidden: []string{"store", "bot/", "app", "jobs", "demo", "catalogio", "cmd"}, why: "bot talks to commerce and templates, never to storage or an adapter"},
	{from: "bot", forbidden: []string{"qrscan"}, why: "bot gets QR decoding injected (Options.DecodeQR)"},
	{from: "qrscan", forbidden: []string{""}, allowed: []string{"qrscan"}, why: "qrscan is a leaf: image bytes in, text out"},
	{from: "labels", forbidden: []string{""}, allowed: []string{"labels", "poster/fonts"}, why: "labels is a leaf: label data in, a printable sheet out (the console serves it too)"},
	{from: "poster/fonts", forbidden: []string{""}, allowed: []string{"poster/fonts"}, why: "fonts holds the fonts and the code that draws text with them (a leaf under poster and labels)"},
	{from: "bot/telegram", forbidden: []string{"store", "bot/wechat", "bot/web", "app", "jobs", "staff", "admin"}, why: "adapters import bot, never each other nor store"},
	{from: "bot/wechat", forbidden: []string{"store", "bot/telegram", "bot/web", "app", "jobs", "staff", "admin"}, why: "adapters import bot, never each other nor store"},
	{from: "bot/web", forbidden: []string{"store", "bot/telegram", "bot/wechat", "app", "jobs", "staff", "admin"}, why: "adapters import bot, never each other nor store"},
	{from: "store", forbidden: []string{"bot", "app", "jobs", "cmd", "demo", "catalogio", "staff", "admin"}, allowed: []string{"staff/auth"}, why: "stores implement interfaces declared by commerce, chatstate and staff/auth; they never import bot or a page"},
	{from: "orderio", forbidden: []string{""}, allowed: []string{"orderio", "commerce"}, why: "orderio writes commerce orders to files (the CLI's export and the console's CSV)"},
	{from: "chatstate", forbidden: []string{""}, allowed: []string{"chatstate"}, why: "chatstate is a leaf that both bot and store import"},
	{from: "internal/clientaddr", forbidden: []string{""}, allowed: []string{"internal/clientaddr"}, why: "clientaddr is a leaf: a request in, an address out"},
	{from: "internal/phone", forbidden: []string{""}, allowed: []string{"internal/phone"}, why: "phone is a leaf: text in, an E.164 number out"},
	{from: "staff", forbidden: []string{""}, allowed: []string{"staff", "commerce", "templates", "bot", "internal/clientaddr"}, why: "the staff page talks to commerce, renders templates and reads bot's error table; never store, an adapter or app"},
	{from: "staff", forbidden: []string{"bot/"}, why: "the staff page is no chat adapter: of bot it uses the error table only"},
	{from: "staff/auth", forbidden: []string{""}, allowed: []string{"staff/auth", "commerce"}, why: "auth (login links, sessions, CSRF) is shared by the shop's web pages: it knows identities, not pages"},
	{from: "bot", forbidden: []string{"staff"}, why: "the chat engine does not serve the staff page"},
	{from: "admin", forbidden: []string{""}, allowed: []string{"admin", "commerce", "templates", "bot", "staff/auth", "labels", "orderio"}, why: "the seller's console talks to commerce, renders templates, reads bot's error table and signs in through staff/auth; never store, an adapter or app"},
	{from: "admin", forbidden: []string{"bot/"}, why: "the console is no chat adapter: of bot it uses the error table only"},
	{from: "bot", forbidden: []string{"admin"}, why: "the chat engine does not serve the console (it gets its links injected)"},
	{from: "app", forbidden: []string{"internal/bench", "bot/telegram/telegramtest", "bot/wechat/wechattest"}, why: "the serving binary links no benchmark and no fake; benchmarks live in cmd/shopbot-bench"},
	{from: "cmd/shopbot", forbidden: []string{"internal/bench", "bot/telegram/telegramtest", "bot/wechat/wechattest"}, why: "the serving binary links no benchmark and no fake"},
	{from: "wechatpay", forbidden: []string{""}, allowed: []string{"wechatpay"}, why: "wechatpay is infrastructure (the WeChat Pay API v3 client; its fake wechatpaytest imports only it): no commerce type, no other package of the project"},
	{from: "app", forbidden: []string{"wechatpay/wechatpaytest"}, why: "the serving binary links no fake"},
	{from: "cmd/shopbot", forbidden: []string{"wechatpay/wechatpaytest"}, why: "the serving binary links no fake"},
	{from: "jobs", forbidden: []string{"store", "app", "bot/", "staff", "admin", "cmd"}, why: "jobs run commerce work through its interfaces and render with bot"},
}

// TestImportRules lists every package's non-test imports with go list.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module+"/")
		for _, r := range rules {
			if !inScope(pkg, r.from) {
				continue
			}
			checked++
			for _, imp := range fields[1:] {
				if !strings.HasPrefix(imp, module+"/") {
					continue
				}
				dep := strings.TrimPrefix(imp, module+"/")
				if matches(dep, r.forbidden) && !matches(dep, r.allowed) {
					t.Errorf("%s imports %s: %s", pkg, dep, r.why)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no package was checked; go list output changed?")
	}
}

// inScope: the rule for "bot" covers package bot itself only; "bot/web" covers
// it and its subpackages; "store" covers every store package.
func inScope(pkg, from string) bool {
	if from == "bot" {
		return pkg == "bot"
	}
	return pkg == from || strings.HasPrefix(pkg, from+"/")
}

func matches(dep string, prefixes []string) bool {
	for _, p := range prefixes {
		if p == "" || dep == p || strings.HasPrefix(dep, p) && (strings.HasSuffix(p, "/") || strings.HasPrefix(dep, p+"/")) {
			return true
		}
	}
	return false
}

func TestRuleMatcher(t *testing.T) {
	for _, tc := range []struct {
		dep   string
		pref  []string
		match bool
	}{
		{"store/redis", []string{"store"}, true},
		{"storefront", []string{"store"}, false},
		{"bot/web", []string{"bot/"}, true},
		{"bot", []string{"bot/"}, false},
		{"commerce", []string{""}, true},
	} {
		if got := matches(tc.dep, tc.pref); got != tc.match {
			t.Errorf("matches(%q, %q) = %v", tc.dep, tc.pref, got)
		}
	}
}
