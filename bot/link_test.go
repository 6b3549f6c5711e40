package bot_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/commerce"
)

func testLinkPages(code string) bot.LinkPages {
	return bot.LinkPages{Web: "https://shop.test/?start=link_" + code, Telegram: "https://t.me/TestShopBot?start=link_" + code,
		QR: "/link/" + code + "/qr.png"}
}

// tgUser opens a private Telegram chat.
func (h *harness) tgUser(t *testing.T, id, lang string) *chat {
	return &chat{h: h, t: t, base: bot.Message{Channel: bot.ChannelTelegram, ChatID: id, UserID: id, FirstName: "Ann", Lang: lang}}
}

// wxUser opens the WeChat Official Account chat of an openid.
func (h *harness) wxUser(t *testing.T, openID, lang string) *chat {
	return &chat{h: h, t: t, base: bot.Message{Channel: bot.ChannelWeChat, ChatID: openID, UserID: openID, Lang: lang}}
}

var linkCode = regexp.MustCompile(`[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}`)

// newCode sends /link and returns the code shown.
func (c *chat) newCode() string {
	c.t.Helper()
	r := c.send("/link")
	code := linkCode.FindString(r[0].Text)
	if code == "" {
		c.t.Fatalf("/link shows no code:\n%s", r[0].Text)
	}
	return code
}

// linkWith links c with other: a code from other, entered and confirmed in c.
func (c *chat) linkWith(other *chat) {
	c.t.Helper()
	r := c.send("/link " + other.newCode())
	confirm := anyAction(r, string(bot.VerbLinkConfirm)+":")
	if confirm == "" {
		c.t.Fatalf("no confirmation offered: %q", r[0].Text)
	}
	wantPrefix(c.t, c.press(confirm), c.tx("link_done", map[string]any{"Other": "", "Chats": nil})[:12])
}

// anyAction is the first button action of the replies with the prefix, or "".
func anyAction(replies []bot.Reply, prefix string) string {
	for _, r := range replies {
		for _, row := range r.Buttons {
			for _, b := range row {
				if strings.HasPrefix(b.Action, prefix) {
					return b.Action
				}
			}
		}
	}
	return ""
}

func findURL(replies []bot.Reply, prefix string) string {
	for _, r := range replies {
		for _, row := range r.Buttons {
			for _, b := range row {
				if strings.HasPrefix(b.URL, prefix) {
					return b.URL
				}
			}
		}
	}
	return ""
}

func wantPrefix(t *testing.T, r []bot.Reply, prefix string) {
	t.Helper()
	if len(r) == 0 || !strings.HasPrefix(r[0].Text, prefix) {
		var got string
		if len(r) > 0 {
			got = r[0].Text
		}
		t.Fatalf("reply %q; want it to start with %q", got, prefix)
	}
}

// TestLinkChats: a Telegram chat and a web chat that both have orders are
// linked with a code (shown in one, typed and confirmed in the other); the
// person's orders are then listed and opened from either; notices follow
// the chat used last or the one chosen; /unlink gives each its own orders back.
func TestLinkChats(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{persons: true})
	tg, web := h.tgUser(t, "7001", "en"), h.user(t, "web-ann", "en")
	tg.add("COS-001", 1)
	a := tg.checkout()
	web.add("COS-003", 1)
	b := web.checkout()

	r := tg.send("/link")
	code := linkCode.FindString(r[0].Text)
	if code == "" || !strings.Contains(r[0].Text, "/link "+code) {
		t.Fatalf("/link in Telegram:\n%s", r[0].Text)
	}
	if u := findURL(r, "https://shop.test/?start=link_"); u != "https://shop.test/?start=link_"+strings.ReplaceAll(code, "-", "") {
		t.Errorf("web chat link = %q", u)
	}
	if findURL(r, "https://t.me/") != "" || r[0].Image != "" {
		t.Errorf("Telegram is offered a link to itself or a QR code: %+v", r[0])
	}
	if wr := web.send("/link"); wr[0].Image == "" || findURL(wr, "https://t.me/TestShopBot?start=link_") == "" {
		t.Errorf("the web chat's /link lacks the QR code or the Telegram link: %+v", wr[0])
	}

	r = web.send("/link " + strings.ToLower(code))
	wantText(t, r, 0, web.tx("link_confirm", map[string]any{"Other": "Telegram ···7001"}))
	if len(web.h.orders(web)) != 1 {
		t.Fatal("linked before the confirmation")
	}
	r = web.press(anyAction(r, "lky:"))
	wantPrefix(t, r, web.tx("link_done", map[string]any{"Other": "Telegram ···7001",
		"Chats": []string{"Telegram ···7001", "Web chat ···-ann (this chat)"}}))

	for _, c := range []*chat{tg, web} {
		r := c.press(bot.VerbOrders.Of())
		for _, o := range []commerce.Order{a, b} {
			if anyAction(r, bot.VerbOrder.Of(o.ID)) == "" {
				t.Errorf("%s's orders lack %s: %q", c.base.Channel, o.Number, r[0].Text)
			}
		}
		if got := c.press(bot.VerbOrder.Of(a.ID)); !strings.HasPrefix(got[0].Text, "Order №"+a.Number) {
			t.Errorf("%s opens the person's order: %q", c.base.Channel, got[0].Text)
		}
	}

	// Notices follow the chat used last, or the one chosen.
	notice := bot.Notice{Kind: bot.NoticeArrived, Channel: "tg", ChatID: "7001", UserID: "7001", OrderID: a.ID}
	h.clock.Advance(10 * time.Minute)
	web.send("/help")
	if got, err := h.router.NoticeTarget(h.ctx, notice); err != nil || got.Channel != "web" || got.ChatID != "web-ann" || got.UserID != "7001" {
		t.Errorf("notice target after using the web chat = %+v, %v", got, err)
	}
	r = web.send("/link")
	choose := ""
	for _, row := range r[0].Buttons {
		if strings.Contains(row[0].Text, "Telegram") && strings.HasPrefix(row[0].Action, "lkt:") {
			choose = row[0].Action
		}
	}
	wantText(t, web.press(choose), 0, web.tx("link_notice_set", map[string]any{"Other": "Telegram ···7001", "Last": false}))
	if got, _ := h.router.NoticeTarget(h.ctx, notice); got.Channel != "tg" || got.ChatID != "7001" {
		t.Errorf("notice target after choosing Telegram = %+v", got)
	}
	seller := bot.Notice{Kind: bot.NoticeHoldExpired, Channel: "web", ChatID: "web-ann", UserID: "web-ann", OrderID: a.ID}
	if got, _ := h.router.NoticeTarget(h.ctx, seller); got != seller {
		t.Errorf("a seller's notice moved: %+v", got)
	}

	r = web.send("/unlink")
	wantText(t, r, 0, web.tx("link_unlink_ask", map[string]any{"Other": "Web chat ···-ann (this chat)"}))
	wantText(t, web.press(anyAction(r, "lkuy:")), 0, web.tx("link_unlinked", map[string]any{"Other": "Web chat ···-ann (this chat)"}))
	if got := h.orders(web); len(got) != 1 || got[0].ID != b.ID {
		t.Errorf("after /unlink the web chat has %d orders; want its own", len(got))
	}
	if got := h.orders(tg); len(got) != 1 || got[0].ID != a.ID {
		t.Errorf("after /unlink Telegram has %d orders; want its own", len(got))
	}
	wantText(t, web.press(bot.VerbOrder.Of(a.ID)), 0, web.tx("err_not_found", nil))
	wantText(t, web.send("/unlink"), 0, web.tx("link_not_linked", nil))
}

// TestLinkThreeChannels: the deep link a Telegram button opens, and the
// WeChat chat typing a code after "I have a code", join one person.
func TestLinkThreeChannels(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{persons: true})
	web, tg, wx := h.user(t, "web-1", "en"), h.tgUser(t, "7002", "en"), h.wxUser(t, "oWX-abc", "en")
	code := strings.ReplaceAll(web.newCode(), "-", "")
	r := tg.send("/start link_" + code) // what Telegram sends for t.me/…?start=link_CODE
	wantText(t, r, 0, tg.tx("link_confirm", map[string]any{"Other": "Web chat ···eb-1"}))
	tg.press(anyAction(r, "lky:"))

	code = web.newCode()
	wantText(t, wx.press(bot.VerbLinkEnter.Of()), 0, wx.tx("link_enter", nil))
	r = wx.send(code)
	wantText(t, r, 0, wx.tx("link_confirm", map[string]any{"Other": "Web chat ···eb-1"}))
	wx.press(anyAction(r, "lky:"))
	p, err := h.persons.Person(h.ctx, "wx:oWX-abc")
	if err != nil || len(p.Identities) != 3 {
		t.Fatalf("person = %+v, %v; want three identities", p, err)
	}
	wantText(t, tg.send("/link "+web.newCode()), 0, tg.tx("link_already", map[string]any{"Other": "Web chat ···eb-1"}))
}

func TestLinkCodeRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{persons: true})
	a, b := h.user(t, "alice", "en"), h.tgUser(t, "7003", "en")
	code := a.newCode()
	wantText(t, a.send("/link "+code), 0, a.tx("link_own_code", nil))
	h.clock.Advance(11 * time.Minute)
	wantText(t, b.send("/link "+code), 0, b.tx("link_code_expired", nil))

	// An offer not confirmed in time is stale.
	r := b.send("/link " + a.newCode())
	h.clock.Advance(11 * time.Minute)
	wantText(t, b.press(anyAction(r, "lky:")), 0, b.tx("err_stale", nil))
	if same, _ := h.persons.SamePerson(h.ctx, "web:alice", "tg:7003"); same {
		t.Fatal("a stale confirmation linked")
	}

	// Guessing: a few wrong codes, then even the right one waits.
	guesser := h.user(t, "guesser", "en")
	for i := range 5 {
		wantText(t, guesser.send(fmt.Sprintf("/link ZZZZ-%04d", 2222+i)), 0, guesser.tx("link_wrong_code", nil))
	}
	wantText(t, guesser.send("/link "+a.newCode()), 0, guesser.tx("link_rate_limited", nil))
	h.clock.Advance(10 * time.Minute)
	r = guesser.send("/link " + a.newCode())
	wantText(t, r, 0, guesser.tx("link_confirm", map[string]any{"Other": "Web chat ···lice"}))
	// A confirmation is this chat's own: another chat cannot press it.
	wantText(t, b.press(anyAction(r, "lky:")), 0, b.tx("err_stale", nil))
	wantText(t, guesser.press("lkn"), 0, guesser.tx("link_cancelled", nil))
	wantText(t, a.inGroup("group-1").send("/link"), 0, a.tx("link_private", nil))
}

// TestLinkGrantsNoRights: a seller's Telegram identity linked with a web
// chat gives the web chat none of the seller's tools.
func TestLinkGrantsNoRights(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{persons: true, drops: true, admins: []string{"tg:900"}})
	sellerTG, web := h.tgUser(t, "900", "en"), h.user(t, "seller-web", "en")
	web.linkWith(sellerTG)
	if r := sellerTG.send("/newdrop"); strings.HasPrefix(r[0].Text, web.tx("help_unknown", nil)) {
		t.Fatal("the seller lost the seller's tools")
	}
	wantText(t, web.send("/newdrop"), 0, web.tx("help_unknown", nil))
	if r := web.send("/help"); strings.Contains(r[0].Text, web.tx("help_seller", nil)) {
		t.Error("the linked web chat is shown the seller's help")
	}
}

// TestLimitsAnswered: each per-person limit is answered in the chat with
// its words, and changes nothing.
func TestLimitsAnswered(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{persons: true, drops: true,
		limits: commerce.PersonLimits{OpenOrders: 2, OpenUnits: 5, Reservations: 1, Waitlists: 1, LapseBan: 30 * 24 * time.Hour}})

	// Open orders count the person: two linked chats share the limit.
	tg, web := h.tgUser(t, "7100", "en"), h.user(t, "limit-web", "en")
	web.linkWith(tg)
	tg.add("COS-001", 1)
	tg.checkout()
	web.add("COS-001", 1)
	web.checkout()
	web.add("COS-001", 1)
	web.toPhoneStep(h.points[0])
	r := web.send(web.ownPhone())
	wantText(t, r, 0, web.tx("limit_open_orders", map[string]any{"Max": 2})+"\n\n"+web.tx("checkout_left", nil))
	if n := len(h.orders(web)); n != 2 {
		t.Errorf("%d orders; want the refused one not placed", n)
	}
	if r := web.press(bot.VerbCart.Of()); strings.HasPrefix(r[0].Text, web.tx("cart_empty", nil)) {
		t.Error("the refused checkout emptied the cart")
	}

	// Units in open orders; and the phone counts whatever its spelling.
	a, b := h.user(t, "units-a", "en"), h.user(t, "units-b", "en")
	a.add("COS-001", 4)
	a.toPhoneStep(h.points[0])
	a.send("+86 137 1111 0001")
	b.add("COS-001", 2)
	b.toPhoneStep(h.points[0])
	wantText(t, b.send("13711110001"), 0, b.tx("limit_open_units", map[string]any{"Max": 5})+"\n\n"+b.tx("checkout_left", nil))

	// Live reservations and waitlist places.
	d1, d2 := h.newDrop("COS-001", 5, 1, 0), h.newDrop("COS-003", 5, 1, 0)
	c := h.user(t, "dropper", "en")
	c.press(anyAction(c.send("/drop "+d1.Code), "dby:"))
	r = c.press(anyAction(c.send("/drop "+d2.Code), "dby:"))
	wantText(t, r, 0, c.tx("limit_reservations", map[string]any{"Max": 1}))
	soon1, soon2 := h.newDrop("COS-001", 5, 1, time.Hour), h.newDrop("COS-003", 5, 1, time.Hour)
	c.press(anyAction(c.send("/drop "+soon1.Code), "dsb:"))
	r = c.press(anyAction(c.send("/drop "+soon2.Code), "dsb:"))
	wantText(t, r, 0, c.tx("limit_waitlists", map[string]any{"Max": 1}))
}

// TestLapseSuspendsPayAtPickup: an order left uncollected past its hold
// suspends ordering for 30 days, with the date it ends.
func TestLapseSuspendsPayAtPickup(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{pickup: &commerce.PickupOptions{}, admins: []string{"web:" + seller}})
	pt := h.point("SH-JINGAN")
	u := h.user(t, "forgetful", "en")
	u.readyOrder(pt)
	h.clock.Advance(8 * 24 * time.Hour)
	if got, err := h.pickup.AlertOverdueHolds(h.ctx); err != nil || len(got) != 1 {
		t.Fatalf("AlertOverdueHolds = %d, %v", len(got), err)
	}
	until := h.clock.Now().Add(30 * 24 * time.Hour).In(shanghai)
	u.add("COS-003", 1)
	u.toPhoneStep(pt)
	wantText(t, u.send(u.ownPhone()), 0, u.tx("limit_suspended", map[string]any{"Until": until})+"\n\n"+u.tx("checkout_left", nil))
}
