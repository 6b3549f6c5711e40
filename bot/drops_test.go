package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/commerce"
)

func testDropLinks(code string) bot.DropLinks {
	return bot.DropLinks{Page: "https://shop.test/d/" + code, Poster: "https://shop.test/d/" + code + "/poster.png",
		Bot: "https://t.me/TestShopBot?start=d_" + code}
}

// newDrop creates a drop of a demo product at a price below its own.
func (h *harness) newDrop(sku string, units, limit int, startsIn time.Duration) commerce.Drop {
	h.t.Helper()
	p := h.product(sku)
	d, err := h.drops.Create(h.ctx, commerce.Drop{ProductID: p.ID, Units: units, Price: commerce.CNY(p.Price.Amount / 2),
		StartsAt: h.clock.Now().Add(startsIn), PerBuyerLimit: limit, ReservationTTL: 15 * time.Minute})
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

func (h *harness) dropStats(d commerce.Drop) commerce.DropStats {
	h.t.Helper()
	st, err := h.drops.Stats(h.ctx, d.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return st
}

func wantReply(t *testing.T, what string, got []bot.Reply, i int, want string) {
	t.Helper()
	if len(got) <= i || got[i].Text != want {
		var texts []string
		for _, r := range got {
			texts = append(texts, r.Text)
		}
		t.Fatalf("%s: reply %d\n%q\nwant\n%q", what, i, texts, want)
	}
}

func firstSKU(h *harness) string {
	for sku, p := range h.prods {
		if p.Active && p.Price.Amount > 100 {
			return sku
		}
	}
	h.t.Fatal("no demo product")
	return ""
}

func TestDropBuyerFlow(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{drops: true})
	sku := firstSKU(h)
	p := h.product(sku)
	d := h.newDrop(sku, 3, 2, 2*time.Hour+15*time.Minute)
	c := h.user(t, "ann", "en")

	card := c.send("/drop " + d.Code)
	if !strings.Contains(card[0].Text, "Starts in 2 h 15 min") || !strings.Contains(card[0].Text, p.Title.In("en")) ||
		!strings.Contains(card[0].Text, "(regular ") || !hasAction(card[0], fmt.Sprintf("dsb:%d", d.ID)) ||
		findAction(t, card[0], "dc:") == "" {
		t.Fatalf("card before the start %q %v", card[0].Text, actions(card[0]))
	}
	if strings.Contains(fmt.Sprint(actions(card[0])), "dby:") {
		t.Fatalf("buy button before the start: %v", actions(card[0]))
	}
	// The deep link (Telegram start payload, WeChat QR scene) opens the same card.
	if link := c.send("/start d_" + d.Code); link[0].Text != card[0].Text {
		t.Fatalf("deep link card %q; want %q", link[0].Text, card[0].Text)
	}
	// Notify me, twice: one subscription; then cancel and again.
	for range 2 {
		r := c.press(fmt.Sprintf("dsb:%d", d.ID))
		wantReply(t, "subscribe", r, 0, c.tx("drop_subscribed", map[string]any{"Title": p.Title.In("en"), "Start": d.StartsAt.In(shanghai)}))
		if !hasAction(r[1], fmt.Sprintf("dus:%d", d.ID)) {
			t.Fatalf("card after subscribing: %v", actions(r[1]))
		}
	}
	if st := h.dropStats(d); st.Subscribers != 1 {
		t.Fatalf("subscribers = %d; want 1", st.Subscribers)
	}
	c.press(fmt.Sprintf("dus:%d", d.ID))
	if st := h.dropStats(d); st.Subscribers != 0 {
		t.Fatalf("subscribers after cancelling = %d", st.Subscribers)
	}
	// A forged buy before the start changes nothing.
	early := c.press(fmt.Sprintf("dby:%d:1:abc", d.ID))
	wantReply(t, "early buy", early, 0, c.tx("drop_not_started", map[string]any{"Title": p.Title.In("en"), "Start": d.StartsAt.In(shanghai)}))

	h.clock.Advance(2*time.Hour + 15*time.Minute)
	card = c.press(fmt.Sprintf("dc:%d", d.ID))
	buy2 := findAction(t, card[0], fmt.Sprintf("dby:%d:2:", d.ID))
	if findAction(t, card[0], fmt.Sprintf("dby:%d:1:", d.ID)) == "" || !strings.Contains(card[0].Text, "3 of 3 left") {
		t.Fatalf("card after the start %q %v", card[0].Text, actions(card[0]))
	}
	// A double tap of one card's button reserves once.
	for range 2 {
		r := c.press(buy2)
		until := h.clock.Now().Add(15 * time.Minute).In(shanghai)
		wantReply(t, "reserve", r, 0, c.tx("drop_reserved", map[string]any{"Qty": 2, "Title": p.Title.In("en"), "Until": until}))
	}
	if st := h.dropStats(d); st.Reserved != 2 || st.Drop.Left != 1 {
		t.Fatalf("after a double tap: reserved %d, left %d; want 2, 1", st.Reserved, st.Drop.Left)
	}
	card = c.press(fmt.Sprintf("dc:%d", d.ID))
	finish := findAction(t, card[0], "dfo:")
	if !strings.Contains(card[0].Text, "2 reserved for you until") {
		t.Fatalf("card with a reservation %q", card[0].Text)
	}
	// Finish: point, bad name, name, bad phone, phone.
	pts := c.press(finish)
	pick := findAction(t, pts[0], "dpt:")
	c.press(pick)
	wantReply(t, "bad name", c.send(strings.Repeat("x", 50)), 0, c.tx("err_name", nil))
	c.send("Ann Lee")
	wantReply(t, "bad phone", c.send("call me"), 0, c.tx("err_phone", nil))
	done := c.send("+86 138 0000 1234")
	orders := h.orders(c)
	if len(orders) != 1 || orders[0].Status != commerce.StatusConfirmed || orders[0].Total != d.Price.Mul(2) || h.placed.Load() != 1 {
		t.Fatalf("orders %+v (placed events %d)", orders, h.placed.Load())
	}
	if !strings.HasPrefix(done[0].Text, "✅ Order №"+orders[0].Number+" is confirmed!") || !strings.Contains(done[0].Text, "Ann Lee") {
		t.Fatalf("after the phone: %q", done[0].Text)
	}
	if st := h.dropStats(d); st.Sold != 2 || st.Reserved != 0 || st.Revenue != d.Price.Mul(2) {
		t.Fatalf("stats after the order %+v", st)
	}
	if h.stock(sku) != p.Stock {
		t.Fatalf("product stock %d; drop units are apart from it (%d)", h.stock(sku), p.Stock)
	}
	wantReply(t, "finish again", c.press(finish), 0, c.tx("drop_already_ordered", nil))
	wantReply(t, "old point button", c.press(pick), 0, c.tx("err_stale", nil))
	// The limit (2) is used up: the card says so, and a tap of an old card changes nothing.
	card = c.press(fmt.Sprintf("dc:%d", d.ID))
	if !strings.Contains(card[0].Text, "You have the most one person may buy") || !hasAction(card[0], "o") ||
		strings.Contains(fmt.Sprint(actions(card[0])), "dby:") {
		t.Fatalf("card at the limit %q %v", card[0].Text, actions(card[0]))
	}
	wantReply(t, "over the limit", c.press(fmt.Sprintf("dby:%d:1:zzz", d.ID)), 0, c.tx("drop_limit", map[string]any{"Limit": 2}))
}

func TestDropBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{drops: true})
	d := h.newDrop(firstSKU(h), 3, 1, 0)
	c := h.user(t, "bob", "en")
	other := h.user(t, "eve", "en")
	wantReply(t, "no code", c.send("/drop"), 0, c.tx("drop_usage", nil))
	wantReply(t, "bad code", c.send("/drop <script>"), 0, c.tx("err_not_found", nil))
	wantReply(t, "unknown code", c.send("/drop zzzzzzzz"), 0, c.tx("err_not_found", nil))
	for _, a := range []string{"dby:x:1:n", fmt.Sprintf("dby:%d:0:n", d.ID), fmt.Sprintf("dby:%d:2:n", d.ID), fmt.Sprintf("dby:%d:1:", d.ID),
		fmt.Sprintf("dby:%d:1", d.ID), "dby:999999:1:n", "dsb:0", "dwl:-1", "dfo:abc", "dfo:999999", "dpt:x:1", "dnm:", "dph:zz", "dc:"} {
		wantReply(t, a, c.press(a), 0, c.tx("err_stale", nil))
	}
	r := c.press(findAction(t, c.press(fmt.Sprintf("dc:%d", d.ID))[0], "dby:"))
	// Someone else's reservation is not theirs to finish.
	wantReply(t, "other's reservation", other.press(findAction(t, r[0], "dfo:")), 0, other.tx("err_stale", nil))
	// Finishing in a group is done privately.
	wantReply(t, "group", c.inGroup("g1").press(findAction(t, r[0], "dfo:")), 0, c.tx("checkout_private", nil))
	// Drops off: /drop is an unknown command.
	off := newHarness(t)
	wantReply(t, "drops off", off.user(t, "x", "en").send("/drop "+d.Code), 0, c.tx("help_unknown", nil))
}

func TestDropPhoneLimitAcrossChannels(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{drops: true})
	d := h.newDrop(firstSKU(h), 5, 1, 0)
	var finishes []string
	// One number in two spellings (E.164 and without the country code) is
	// one person's: the second is refused.
	spellings := map[string]string{"li-web": "+86 139 0000 5555", "li-phone": "13900005555"}
	for _, id := range []string{"li-web", "li-phone"} {
		c := h.user(t, id, "en")
		r := c.press(findAction(t, c.press(fmt.Sprintf("dc:%d", d.ID))[0], "dby:"))
		pts := c.press(findAction(t, r[0], "dfo:"))
		c.press(findAction(t, pts[0], "dpt:"))
		c.send("Li Wei")
		finishes = append(finishes, c.send(spellings[id])[0].Text)
	}
	c := h.user(t, "li-phone", "en")
	res, err := h.drops.Active(h.ctx, d.ID, commerce.Buyer{Channel: bot.ChannelWeb, UserID: "li-phone"})
	if err != nil {
		t.Fatalf("the refused buyer's reservation: %v", err)
	}
	want := c.tx("drop_phone_limit", map[string]any{"Limit": 1, "Until": res.ExpiresAt.In(shanghai)})
	if finishes[1] != want {
		t.Fatalf("second person with the same phone: %q; want %q", finishes[1], want)
	}
	if st := h.dropStats(d); st.Sold != 1 || st.Reserved != 1 {
		t.Fatalf("stats %+v; want 1 sold, 1 still reserved", st)
	}
	// The refused person gives the unit back; a second tap changes nothing.
	release := fmt.Sprintf("drx:%d", res.ID)
	wantReply(t, "release", c.press(release), 0, c.tx("drop_released", nil))
	wantReply(t, "release again", c.press(release), 0, c.tx("drop_expired", nil))
	wantReply(t, "release by another", h.user(t, "li-web", "en").press(release), 0, c.tx("err_stale", nil))
	if st := h.dropStats(d); st.Sold != 1 || st.Reserved != 0 || st.Drop.Left != 4 {
		t.Fatalf("stats after the release %+v", st)
	}
}

func TestDropWaitlistAndNotices(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{drops: true})
	sku := firstSKU(h)
	d := h.newDrop(sku, 1, 1, time.Hour)
	ann, bob := h.user(t, "ann", "en"), h.user(t, "bob", "ru")
	bob.press(fmt.Sprintf("dsb:%d", d.ID))
	h.clock.Advance(time.Hour)
	// The start notice shows the live card to the subscriber.
	n := bot.Notice{Kind: bot.NoticeDropStarted, Channel: bot.ChannelWeb, ChatID: "bob", UserID: "bob", Lang: "ru", DropID: d.ID}
	got, err := h.router.RenderNotice(h.ctx, n)
	if err != nil || len(got) != 1 || !strings.HasPrefix(got[0].Text, bob.tx("notice_drop_started", map[string]any{"Code": d.Code})) || findAction(t, got[0], "dby:") == "" {
		t.Fatalf("start notice = %+v, %v", got, err)
	}
	res := ann.press(findAction(t, ann.press(fmt.Sprintf("dc:%d", d.ID))[0], "dby:"))
	card := bob.press(fmt.Sprintf("dc:%d", d.ID))
	if !strings.Contains(card[0].Text, "Всё раскуплено") || !hasAction(card[0], fmt.Sprintf("dwl:%d", d.ID)) {
		t.Fatalf("sold-out card %q %v", card[0].Text, actions(card[0]))
	}
	for range 2 {
		wantReply(t, "waitlist", bob.press(fmt.Sprintf("dwl:%d", d.ID)), 0, bob.tx("drop_waitlisted", nil))
	}
	if st := h.dropStats(d); st.Waitlisted != 1 {
		t.Fatalf("waitlisted = %d; want 1", st.Waitlisted)
	}
	// Ann's reservation runs out; the unit is held for Bob.
	h.clock.Advance(16 * time.Minute)
	r, err := h.drops.Reservation(h.ctx, mustID(t, findAction(t, res[0], "dfo:")))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := h.drops.Expire(h.ctx, r.ID); err != nil || !ok {
		t.Fatalf("Expire = %v, %v", ok, err)
	}
	if n, err := h.drops.OfferWaitlist(h.ctx, d.ID); err != nil || n != 1 {
		t.Fatalf("OfferWaitlist = %d, %v", n, err)
	}
	held, err := h.drops.Active(h.ctx, d.ID, commerce.Buyer{Channel: bot.ChannelWeb, UserID: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	offer := bot.Notice{Kind: bot.NoticeDropOffer, Channel: bot.ChannelWeb, ChatID: "bob", UserID: "bob", Lang: "ru", DropID: d.ID, ReservationID: held.ID}
	got, err = h.router.RenderNotice(h.ctx, offer)
	want := bob.tx("notice_drop_offer", map[string]any{"Qty": 1, "Title": h.product(sku).Title.In("ru"), "Code": d.Code, "Until": held.ExpiresAt.In(shanghai)})
	if err != nil || len(got) != 1 || got[0].Text != want || !hasAction(got[0], fmt.Sprintf("dfo:%d", held.ID)) {
		t.Fatalf("offer notice = %+v, %v; want %q", got, err, want)
	}
	// The card shows Bob his held unit; Ann sees it sold out.
	if card := bob.press(fmt.Sprintf("dc:%d", d.ID)); !hasAction(card[0], fmt.Sprintf("dfo:%d", held.ID)) {
		t.Fatalf("Bob's card %v", actions(card[0]))
	}
	// An offer that lapsed says nothing; one for someone else is refused.
	h.clock.Advance(16 * time.Minute)
	if got, err := h.router.RenderNotice(h.ctx, offer); err != nil || len(got) != 0 {
		t.Fatalf("lapsed offer notice = %+v, %v", got, err)
	}
	offer.UserID, offer.ChatID = "ann", "ann"
	if _, err := h.router.RenderNotice(h.ctx, offer); err == nil {
		t.Fatal("an offer rendered for another buyer")
	}
}

func mustID(t *testing.T, action string) int64 {
	t.Helper()
	_, rest, _ := strings.Cut(action, ":")
	var id int64
	if _, err := fmt.Sscan(rest, &id); err != nil {
		t.Fatalf("action %q: %v", action, err)
	}
	return id
}

func TestDropSellerFlow(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{drops: true, admins: []string{"web:seller"}})
	sku := firstSKU(h)
	p := h.product(sku)
	s := h.user(t, "seller", "en")
	step := func(what, text string, wantKeys ...string) []bot.Reply {
		t.Helper()
		r := s.send(text)
		for i, k := range wantKeys {
			if k != "" && !strings.HasPrefix(r[i].Text, strings.SplitN(s.tx(k, map[string]any{"Max": 100, "MaxUnits": commerce.MaxDropUnits,
				"Zone": "Asia/Shanghai", "Title": p.Title.In("en"), "Regular": p.Price, "Stock": p.Stock, "Currency": "CNY"}), "\n", 2)[0]) {
				t.Fatalf("%s: reply %d %q; want %s", what, i, r[i].Text, k)
			}
		}
		return r
	}
	step("start", "/newdrop", "ask_dn_product")
	step("bad product", "NOPE-SKU", "dn_bad_product", "ask_dn_product")
	step("product", sku, "ask_dn_units")
	step("bad units", "0", "dn_bad_units", "ask_dn_units")
	r := step("units", "5", "ask_dn_price")
	nonce := strings.Split(findAction(t, r[0], "dnd:"), ":")[1]
	step("bad price", "-3", "dn_bad_price", "ask_dn_price")
	step("price", "99.50", "ask_dn_start")
	step("bad start", "yesterday", "dn_bad_start", "ask_dn_start")
	step("start", "+2h", "ask_dn_limit")
	step("bad limit", "6", "dn_bad_limit", "ask_dn_limit")
	s.press("dnd:" + nonce + ":limit")
	step("bad ttl", "forever", "dn_bad_ttl", "ask_dn_ttl")
	preview := s.press("dnd:" + nonce + ":ttl")
	if len(preview) != 3 || preview[0].Text != s.tx("dn_preview_head", nil) || !hasAction(preview[2], "dns:"+nonce) {
		t.Fatalf("preview %+v", preview)
	}
	// Change the units from the preview.
	s.press("dnc:" + nonce)
	step("change units", "/newdrop", "ask_dn_product") // a new /newdrop starts over …
	wantReply(t, "old draft", s.press("dns:"+nonce), 0, s.tx("err_stale", nil))
	s.send(sku)
	r = s.send("5")
	nonce = strings.Split(findAction(t, r[0], "dnd:"), ":")[1]
	s.press("dnd:" + nonce + ":price")
	s.send("20:00")
	s.send("2")
	s.send("30")
	s.press("dnc:" + nonce)
	s.press("dnf:" + nonce + ":units")
	preview = step("units again", "4", "dn_preview_head")
	if h.countDrops() != 0 {
		t.Fatal("a drop was stored before scheduling")
	}
	var scheduled []bot.Reply
	for range 2 { // a double tap schedules once
		scheduled = s.press("dns:" + nonce)
	}
	if h.countDrops() != 1 {
		t.Fatalf("%d drops after a double tap; want 1", h.countDrops())
	}
	list, _ := h.drops.List(h.ctx, 10)
	d := list[0]
	start := time.Date(2030, 5, 1, 20, 0, 0, 0, shanghai) // 10:00 UTC is 18:00 in Shanghai
	if d.Units != 4 || d.Price != p.Price || !d.StartsAt.Equal(start) || d.PerBuyerLimit != 2 || d.ReservationTTL != 30*time.Minute || d.TimeZone != "Asia/Shanghai" {
		t.Fatalf("scheduled drop %+v", d)
	}
	links := testDropLinks(d.Code)
	for _, l := range []string{links.Page, links.Poster, links.Bot} {
		if !strings.Contains(scheduled[0].Text, l) {
			t.Fatalf("scheduled reply %q lacks %s", scheduled[0].Text, l)
		}
	}
	// The preview was exactly the buyer's card.
	buyer := h.user(t, "buyer", "en")
	card := buyer.send("/drop " + d.Code)
	if card[0].Text != preview[1].Text || card[0].Image != preview[1].Image {
		t.Fatalf("buyer card\n%q\npreview\n%q", card[0].Text, preview[1].Text)
	}
	// Figures and the list.
	stats := s.press(fmt.Sprintf("dv:%d", d.ID))
	if !strings.Contains(stats[0].Text, "Units 4: sold 0 · reserved 0 · left 4") {
		t.Fatalf("figures %q", stats[0].Text)
	}
	if l := s.send("/drops"); !hasAction(l[0], fmt.Sprintf("dv:%d", d.ID)) {
		t.Fatalf("/drops %+v", l)
	}
	// A product card's "Create a drop" button starts at the units.
	r = s.press(fmt.Sprintf("dn:%d", p.ID))
	if !strings.HasPrefix(r[0].Text, p.Title.In("en")) {
		t.Fatalf("dn: %q", r[0].Text)
	}
	wantReply(t, "discard", s.press("dnx:"+strings.Split(findAction(t, r[0], "dnx:"), ":")[1]), 0, s.tx("dn_discarded", nil))
}

func (h *harness) countDrops() int {
	h.t.Helper()
	var n int
	if err := h.store.DB().QueryRowContext(h.ctx, `SELECT COUNT(*) FROM drops`).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func TestDropSellerToolsNotForBuyers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{drops: true, admins: []string{"web:seller", "tg:7"}})
	d := h.newDrop(firstSKU(h), 3, 1, time.Hour)
	c := h.user(t, "mallory", "en")
	for _, cmd := range []string{"/newdrop", "/newdrop 1", "/drops"} {
		wantReply(t, cmd, c.send(cmd), 0, c.tx("help_unknown", nil))
	}
	for _, a := range []string{fmt.Sprintf("dn:%d", h.id(firstSKU(h))), fmt.Sprintf("dv:%d", d.ID), "dl", "dns:x", "dnd:x:limit", "dnf:x:units"} {
		wantReply(t, a, c.press(a), 0, c.tx("err_stale", nil))
	}
	if card := c.send("/drop " + d.Code); hasAction(card[0], fmt.Sprintf("dv:%d", d.ID)) {
		t.Fatal("a buyer's card offers the seller's figures")
	}
	// An admin in a group gets no seller tools either.
	s := h.user(t, "seller", "en").inGroup("g")
	wantReply(t, "group", s.send("/newdrop"), 0, c.tx("help_unknown", nil))
	if h.countDrops() != 1 {
		t.Fatal("a non-admin changed drops")
	}
}
