package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/commerce"
)

// newBroadcastHarness is the harness with broadcasts on and the given admins.
func newBroadcastHarness(t *testing.T, admins ...string) *harness {
	t.Helper()
	h := newHarness(t)
	h.router = bot.NewRouter(bot.Options{Shop: h.shop, Sessions: h.store, Dedupe: h.store, Texts: texts, Admins: admins,
		TrustWebIdentity: true, Audience: h.store, Broadcasts: h.store})
	return h
}

func TestOptOutWords(t *testing.T) {
	t.Parallel()
	h := newBroadcastHarness(t)
	for i, tc := range []struct{ lang, word string }{
		{"en", "stop"}, {"en", "STOP"}, {"en", "/stop"}, {"en", " Stop! "},
		{"zh-CN", "退订"}, {"zh-CN", "TD"}, {"zh-CN", "td"},
		{"ru", "стоп"}, {"ru", "Стоп"}, {"ru", "/stop"},
	} {
		t.Run(tc.lang+"/"+tc.word, func(t *testing.T) {
			id := fmt.Sprintf("optout%d", i)
			c := h.user(t, id, tc.lang)
			c.send("/start")
			r := c.send(tc.word)
			wantText(t, r, 0, c.tx("bc_opted_out", nil))
			u, err := h.store.ChatUser(h.ctx, "web", id)
			if err != nil || !u.OptedOut {
				t.Fatalf("after %q: %+v, %v; want opted out", tc.word, u, err)
			}
			r = c.send("/subscribe")
			wantText(t, r, 0, c.tx("bc_subscribed", nil))
			if u, _ := h.store.ChatUser(h.ctx, "web", id); u.OptedOut {
				t.Fatalf("/subscribe left the opt-out: %+v", u)
			}
		})
	}
	// Words inside a sentence are just text.
	c := h.user(t, "chatty", "en")
	c.send("please don't stop the music")
	if u, _ := h.store.ChatUser(h.ctx, "web", "chatty"); u.OptedOut {
		t.Fatal("a sentence containing stop opted out")
	}
}

func TestAudienceRecording(t *testing.T) {
	t.Parallel()
	h := newBroadcastHarness(t)
	c := h.user(t, "aud1", "ru")
	c.send("hello")
	u, err := h.store.ChatUser(h.ctx, "web", "aud1")
	if err != nil || u.Lang != "ru" || u.ChatID != "aud1" {
		t.Fatalf("first contact not recorded: %+v, %v", u, err)
	}
	first := u.LastSeen
	h.clock.Advance(time.Hour)
	c.send("/shop")
	if u, _ = h.store.ChatUser(h.ctx, "web", "aud1"); !u.LastSeen.Equal(first) {
		t.Fatalf("recorded again the same day: %v → %v", first, u.LastSeen)
	}
	c.send("/start")
	if u, _ = h.store.ChatUser(h.ctx, "web", "aud1"); u.LastSeen.Equal(first) {
		t.Fatal("/start did not record the user")
	}
	// Blocked (a 403 seen by a sender) is cleared when the user writes on a later day.
	if err := h.store.MarkBlocked(h.ctx, "web", "aud1", true); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(24 * time.Hour)
	c.send("/cart")
	if u, _ = h.store.ChatUser(h.ctx, "web", "aud1"); u.Blocked {
		t.Fatalf("still blocked after writing again: %+v", u)
	}
	// Group chatter is not the audience.
	g := h.user(t, "aud2", "en").inGroup("-100")
	g.send("/start")
	if _, err := h.store.ChatUser(h.ctx, "web", "aud2"); err == nil {
		t.Fatal("a group message recorded the user")
	}
}

func TestBroadcastWizard(t *testing.T) {
	t.Parallel()
	h := newBroadcastHarness(t, "web:seller")
	for i := range 3 {
		h.user(t, fmt.Sprintf("buyer%d", i), "en").send("/start")
	}
	h.user(t, "buyer0", "en").send("stop")

	// Not a seller: an unknown command.
	buyer := h.user(t, "buyer1", "en")
	wantText(t, buyer.send("/broadcast"), 0, buyer.tx("help_unknown", nil))

	s := h.user(t, "seller", "en")
	r := s.send("/broadcast")
	wantText(t, r, 0, s.tx("bc_prompt", map[string]any{"Max": commerce.MaxBroadcastText}))
	r = s.send("x\nbutton: Shop | ftp://nope")
	wantText(t, r, 0, s.tx("bc_invalid", map[string]any{"Max": commerce.MaxBroadcastText}))
	r = s.send("Spring sale: 20% off!\nbutton: Open the shop | https://t.me/ShopBot?start=c_1")
	if len(r) != 2 {
		t.Fatalf("preview = %d replies, want message + counts", len(r))
	}
	wantText(t, r, 0, "Spring sale: 20% off!\n\n"+s.tx("bc_footer", nil))
	if b := r[0].Buttons; len(b) != 1 || b[0][0].URL != "https://t.me/ShopBot?start=c_1" || b[0][0].Text != "Open the shop" {
		t.Fatalf("preview button = %+v", r[0].Buttons)
	}
	// seller, buyer1, buyer2 reachable (buyer0 opted out).
	wantText(t, r, 1, s.tx("bc_preview", map[string]any{"Telegram": "0", "WeChat": "0", "Web": "3", "Total": "3", "N": 3, "Image": false}))
	send := findAction(t, r[1], "bcs:")
	// Another chat cannot press it (the draft lives in the seller's session).
	other := h.user(t, "seller2", "en")
	other.send("/start")
	wantText(t, other.press(send), 0, other.tx("err_stale", nil))

	r = s.press(send)
	var id int64
	fmt.Sscanf(send, "bcs:%d", &id)
	wantText(t, r, 0, s.tx("bc_started", map[string]any{"ID": id, "Total": "5", "N": 5}))
	b, err := h.store.Broadcast(h.ctx, id)
	if err != nil || b.Status != commerce.BroadcastRunning || b.Counts.Total != 5 || b.Counts.OptedOut != 1 || b.Author != "web:seller" {
		t.Fatalf("started broadcast = %+v, %v", b, err)
	}
	wantText(t, s.press(send), 0, s.tx("err_stale", nil)) // a second tap
	// Stop it from the progress message.
	stop := findAction(t, h.router.BroadcastProgress(b, "en", false), "bcc:")
	wantText(t, s.press(stop), 0, s.tx("bc_cancelled", nil))
	if b, _ := h.store.Broadcast(h.ctx, id); b.Status != commerce.BroadcastCancelled {
		t.Fatalf("after stop: %v", b.Status)
	}

	// A photo with its caption; then cancel.
	s.send("/broadcast")
	wantText(t, s.sendPhoto([]byte("\x89PNG\r\n\x1a\nrest-of-a-png"), "Unreadable"), 0,
		s.tx("seller_photo_unreadable", nil))
	png := blankPhoto(t)
	wantText(t, s.sendPhoto(png, ""), 0, s.tx("bc_caption_needed", nil))
	r = s.sendPhoto(png, "New arrivals")
	cancel := findAction(t, r[len(r)-1], "bcx:")
	wantText(t, s.press(cancel), 0, s.tx("bc_cancelled", nil))
	list, _ := h.store.Broadcasts(h.ctx, 10)
	if len(list) != 2 || list[0].Status != commerce.BroadcastCancelled || list[0].Content.Image == nil {
		t.Fatalf("photo draft = %+v", list[0])
	}
	// Photos from anyone else are not broadcasts.
	r = buyer.sendPhoto(png, "hi")
	if strings.Contains(r[0].Text, s.tx("bc_caption_needed", nil)) {
		t.Fatal("a buyer's photo went into the wizard")
	}
}

func TestBroadcastTexts(t *testing.T) {
	t.Parallel()
	h := newBroadcastHarness(t)
	b := commerce.Broadcast{ID: 7, Content: commerce.BroadcastContent{Text: "Sale"}, Status: commerce.BroadcastRunning,
		Counts: commerce.BroadcastCounts{Total: 5000, Sent: 1200, Blocked: 3, OptedOut: 12}}
	for _, tc := range []struct{ lang, footer string }{{"en", "STOP"}, {"zh-CN", "TD"}, {"ru", "СТОП"}, {"", "TD"}} {
		m := h.router.BroadcastMessage(b, tc.lang, "/b/7.img")
		if !strings.HasPrefix(m.Text, "Sale\n\n") || !strings.Contains(m.Text, tc.footer) || m.Image != "/b/7.img" {
			t.Fatalf("%s message = %+v", tc.lang, m)
		}
	}
	p := h.router.BroadcastProgress(b, "en", false)
	if want := "📣 Broadcast #7: sent 1,200 / 5,000 · blocked 3 · opted out 12"; p.Text != want {
		t.Fatalf("progress = %q, want %q", p.Text, want)
	}
	if p := h.router.BroadcastProgress(b, "ru", false); !strings.Contains(p.Text, "1\u00a0200 / 5\u00a0000") {
		t.Fatalf("ru progress = %q", p.Text)
	}
	b.Status, b.StartedAt, b.FinishedAt = commerce.BroadcastDone, time.Unix(0, 0), time.Unix(250, 0)
	if p := h.router.BroadcastProgress(b, "en", true); !strings.Contains(p.Text, "finished in 4m10s") || len(p.Buttons) != 0 {
		t.Fatalf("final = %+v", p)
	}
}
