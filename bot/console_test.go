package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"shopbot/bot"
)

// /console sends a seller, in a private chat, a login link to the console;
// buyers, sellers in groups and a router without consoles get the answer
// to an unknown command.
func TestConsoleCommand(t *testing.T) {
	t.Parallel()
	var asked []string
	link := func(_ context.Context, identity string) (bot.ConsoleLink, error) {
		asked = append(asked, identity)
		if identity == "web:broken" {
			return bot.ConsoleLink{}, errors.New("database down")
		}
		return bot.ConsoleLink{URL: "https://shop.example/admin/login?token=T0K3N", Valid: 15 * time.Minute}, nil
	}
	h := newHarness(t, harnessOptions{admins: []string{"web:seller", "web:broken"}, consoleLink: link})
	seller := h.user(t, "seller", "en")
	r := seller.send("/console")
	wantText(t, r, 0, seller.tx("console_link_chat", map[string]any{"URL": "https://shop.example/admin/login?token=T0K3N", "Minutes": 15}))
	if len(r[0].Buttons) != 1 || r[0].Buttons[0][0].URL != "https://shop.example/admin/login?token=T0K3N" {
		t.Fatalf("buttons %+v; want one opening the link", r[0].Buttons)
	}
	if len(asked) != 1 || asked[0] != "web:seller" {
		t.Fatalf("links made for %v; want the seller's", asked)
	}

	buyer := h.user(t, "buyer", "ru")
	wantText(t, buyer.send("/console"), 0, buyer.tx("help_unknown", nil))
	group := seller.inGroup("-100200")
	if r := group.send("/console"); strings.Contains(r[0].Text, "token=") {
		t.Fatalf("a link in a group: %q", r[0].Text)
	}
	if len(asked) != 1 {
		t.Fatalf("links made for %v; want none for a buyer or a group", asked)
	}
	broken := h.user(t, "broken", "en")
	m := broken.base
	m.Text = "/console"
	if r, err := broken.handle(m); err == nil || len(r) == 0 || strings.Contains(r[0].Text, "database") {
		t.Fatalf("a failure: %+v, %v; want an error and the words of a failure", r, err)
	}

	plain := newHarness(t, harnessOptions{admins: []string{"web:seller"}})
	s := plain.user(t, "seller", "zh-CN")
	wantText(t, s.send("/console"), 0, s.tx("help_unknown", nil))
}
