package bot_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/commerce"
)

func TestDropAdminEdit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{drops: true, admins: []string{"web:seller"}})
	d := h.newDrop(firstSKU(h), 5, 2, 2*time.Hour)
	s := h.user(t, "seller", "en")
	get := func() commerce.Drop {
		t.Helper()
		got, err := h.drops.Get(h.ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	stats := s.press(fmt.Sprintf("dv:%d", d.ID))
	if !hasAction(stats[0], fmt.Sprintf("dae:%d", d.ID)) || !hasAction(stats[0], fmt.Sprintf("dax:%d", d.ID)) {
		t.Fatalf("figures lack change and cancel: %v", actions(stats[0]))
	}
	menu := s.press(fmt.Sprintf("dae:%d", d.ID))
	for _, f := range []string{"start", "price", "units", "limit", "ttl"} {
		if !hasAction(menu[0], fmt.Sprintf("daf:%d:%s", d.ID, f)) {
			t.Fatalf("menu before the start lacks %s: %v", f, actions(menu[0]))
		}
	}
	bad := func(key string, max int) string {
		return s.tx(key, map[string]any{"Max": max, "MaxUnits": commerce.MaxDropUnits, "Limit": get().PerBuyerLimit, "Units": get().Units})
	}
	for _, tc := range []struct {
		field, text, want string
		max               int
	}{
		{"units", "0", "dn_bad_units", 0},
		{"units", "many", "dn_bad_units", 0},
		{"units", "1", "da_bad_units_limit", 0}, // below the limit of 2
		{"units", "8", "da_saved", 0},
		{"price", "-3", "dn_bad_price", 0},
		{"price", "49.50", "da_saved", 0},
		{"start", "yesterday", "dn_bad_start", 0},
		{"start", "+3h", "da_saved", 0},
		{"limit", "9", "dn_bad_limit", 8},
		{"limit", "3", "da_saved", 0},
		{"ttl", "0", "dn_bad_ttl", 0},
		{"ttl", "20m", "da_saved", 0},
	} {
		ask := s.press(fmt.Sprintf("daf:%d:%s", d.ID, tc.field))
		if !strings.HasPrefix(ask[0].Text, "Send ") || !hasAction(ask[0], fmt.Sprintf("dae:%d", d.ID)) {
			t.Fatalf("ask %s: %q", tc.field, ask[0].Text)
		}
		want := bad(tc.want, tc.max)
		r := s.send(tc.text)
		wantReply(t, tc.field+" "+tc.text, r, 0, want)
	}
	got := get()
	if got.Units != 8 || got.Left != 8 || got.Price != commerce.CNY(4950) || !got.StartsAt.Equal(h.clock.Now().Add(3*time.Hour)) ||
		got.PerBuyerLimit != 3 || got.ReservationTTL != 20*time.Minute {
		t.Fatalf("edited drop %+v", got)
	}
	// A typed value with no field asked is not taken as one.
	if r := s.send("7"); strings.HasPrefix(r[0].Text, "✅") || get().Units != 8 {
		t.Fatalf("a stray number changed the drop: %q", r[0].Text)
	}

	// After the start only units, and only up.
	h.clock.Advance(3 * time.Hour)
	menu = s.press(fmt.Sprintf("dae:%d", d.ID))
	if hasAction(menu[0], fmt.Sprintf("daf:%d:price", d.ID)) || !hasAction(menu[0], fmt.Sprintf("daf:%d:units", d.ID)) {
		t.Fatalf("menu after the start: %v", actions(menu[0]))
	}
	wantReply(t, "price after start", s.press(fmt.Sprintf("daf:%d:price", d.ID)), 0, s.tx("da_started", nil))
	s.press(fmt.Sprintf("daf:%d:units", d.ID))
	wantReply(t, "fewer units", s.send("5"), 0, bad("da_units_only_up", 0))
	wantReply(t, "more units", s.send("12"), 0, s.tx("da_saved", nil))
	if got := get(); got.Units != 12 || got.Left != 12 || got.Price != commerce.CNY(4950) {
		t.Fatalf("after more units %+v", got)
	}
}

func TestDropAdminCancel(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{drops: true, admins: []string{"web:seller"}})
	d := h.newDrop(firstSKU(h), 5, 2, time.Hour)
	s := h.user(t, "seller", "en")
	b := h.user(t, "buyer", "en")
	h.clock.Advance(time.Hour)
	card := b.send("/drop " + d.Code)
	buy := findAction(t, card[0], "dby:")
	b.press(buy)
	if st := h.dropStats(d); st.Reserved != 1 {
		t.Fatalf("reserved %d; want 1", st.Reserved)
	}
	confirm := s.press(fmt.Sprintf("dax:%d", d.ID))
	if !hasAction(confirm[0], fmt.Sprintf("daxy:%d", d.ID)) || !strings.Contains(confirm[0].Text, "held unit is released") {
		t.Fatalf("confirmation %q %v", confirm[0].Text, actions(confirm[0]))
	}
	if st := h.dropStats(d); !st.Drop.CancelledAt.IsZero() {
		t.Fatal("asking to confirm cancelled the drop")
	}
	done := s.press(fmt.Sprintf("daxy:%d", d.ID))
	if !strings.HasPrefix(done[0].Text, "🛑") || !strings.Contains(done[0].Text, "is cancelled") {
		t.Fatalf("cancelled reply %q", done[0].Text)
	}
	st := h.dropStats(d)
	if st.Drop.CancelledAt.IsZero() || st.Reserved != 0 || st.Drop.Left != 5 {
		t.Fatalf("after cancel %+v", st)
	}
	// The buyer's card: cancelled, nothing to buy; an old buy button is refused.
	card = b.send("/drop " + d.Code)
	if !strings.Contains(card[0].Text, b.tx("drop_cancelled_card", nil)) || strings.Contains(fmt.Sprint(actions(card[0])), "dby:") ||
		strings.Contains(fmt.Sprint(actions(card[0])), "dfo:") {
		t.Fatalf("card of a cancelled drop %q %v", card[0].Text, actions(card[0]))
	}
	wantReply(t, "old buy button", b.press(strings.TrimSuffix(buy, buy[strings.LastIndex(buy, ":"):])+":fresh"), 0, b.tx("drop_cancelled", nil))
	if st := h.dropStats(d); st.Reserved != 0 {
		t.Fatal("a cancelled drop reserved")
	}
	// Twice, or a change afterwards: refused.
	wantReply(t, "second cancel", s.press(fmt.Sprintf("daxy:%d", d.ID)), 0, s.tx("da_already_cancelled", nil))
	wantReply(t, "change after cancel", s.press(fmt.Sprintf("dae:%d", d.ID)), 0, s.tx("da_already_cancelled", nil))
	if stats := s.press(fmt.Sprintf("dv:%d", d.ID)); hasAction(stats[0], fmt.Sprintf("dae:%d", d.ID)) || !strings.Contains(stats[0].Text, "🛑 Cancelled") {
		t.Fatalf("figures of a cancelled drop %q %v", stats[0].Text, actions(stats[0]))
	}
}

func TestDropAdminNotForBuyers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{drops: true, admins: []string{"web:seller"}})
	d := h.newDrop(firstSKU(h), 3, 1, time.Hour)
	c := h.user(t, "mallory", "en")
	for _, a := range []string{fmt.Sprintf("dae:%d", d.ID), fmt.Sprintf("daf:%d:units", d.ID), fmt.Sprintf("dax:%d", d.ID),
		fmt.Sprintf("daxy:%d", d.ID), "dae:x", "daf:1:bogus"} {
		wantReply(t, a, c.press(a), 0, c.tx("err_stale", nil))
	}
	if r := c.send("99"); strings.HasPrefix(r[0].Text, "✅") {
		t.Fatal("a buyer's number was taken as a drop change")
	}
	s := h.user(t, "seller", "en")
	for _, a := range []string{"dae:999999", "daf:999999:units", fmt.Sprintf("daf:%d:bogus", d.ID), "daxy:abc"} {
		wantReply(t, "seller "+a, s.press(a), 0, s.tx("err_stale", nil))
	}
	st := h.dropStats(d)
	if !st.Drop.CancelledAt.IsZero() || st.Drop.Units != 3 {
		t.Fatalf("refused buttons changed the drop: %+v", st.Drop)
	}
}

// A cancelled drop's group post shows it, loses its buttons, and a "+1"
// on it is refused.
func TestDropAdminCancelledPost(t *testing.T) {
	t.Parallel()
	e := newGPEnv(t, bot.NamesFirst, true)
	ctx := t.Context()
	p, err := e.gp.Publish(ctx, e.drop.Code, bot.ChannelTelegram, "-5", "en")
	if err != nil {
		t.Fatal(err)
	}
	drops := commerce.NewDropService(commerce.DropServiceOptions{Store: e.store, Clock: e.clock})
	if _, ok, err := drops.Cancel(ctx, e.drop.ID); err != nil || !ok {
		t.Fatalf("Cancel = %v, %v", ok, err)
	}
	if n, err := e.gp.Refresh(ctx); err != nil || n != 1 {
		t.Fatalf("refresh = %d, %v; want 1 edit", n, err)
	}
	shown := e.poster.shown("-5", p.MessageID)
	if !strings.Contains(shown.Text, e.tx("gp_state_cancelled", nil)) || len(shown.Buttons) != 0 {
		t.Fatalf("cancelled post %q %+v", shown.Text, shown.Buttons)
	}
	if n, err := e.gp.Refresh(ctx); err != nil || n != 0 {
		t.Fatalf("second refresh = %d, %v; want nothing to edit", n, err)
	}
	r := e.handle(bot.Message{ChatID: "-5", UserID: "10", FirstName: "Anna", Action: "j:" + strconv.FormatInt(e.drop.ID, 10), Group: true})
	if len(r) != 1 || r[0].Toast != e.tx("gp_toast_cancelled", nil) {
		t.Fatalf("+1 on a cancelled drop = %+v", r)
	}
}
