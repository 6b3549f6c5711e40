package app

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/jobs"
)

var dropCodeRe = regexp.MustCompile(`/drop ([2-9a-z]{8})`)

// action finds the first button whose action starts with prefix.
func action(t *testing.T, replies []bot.Reply, prefix string) string {
	t.Helper()
	for _, r := range replies {
		for _, row := range r.Buttons {
			for _, b := range row {
				if strings.HasPrefix(b.Action, prefix) {
					return b.Action
				}
			}
		}
	}
	t.Fatalf("no button %q… in %+v", prefix, replies)
	return ""
}

// runJob makes the pending job of kind whose arguments match due now.
func runJob(t *testing.T, s *shop, kind string, match func(args []byte) bool) {
	t.Helper()
	ctx := context.Background()
	pending, err := s.app.queue.Pending(ctx, kind)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pending {
		if match(p.Args) {
			if err := s.app.queue.RunNow(ctx, p.ID); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no pending %s job to run among %d", kind, len(pending))
}

// dropFlow: a seller makes a drop in the chat, a subscriber is told when it
// starts and buys, a reservation lapses and the unit goes to the waitlist.
func dropFlow(t *testing.T, cfg Config) {
	clock := testenv.NewClock(time.Now())
	cfg.clock = clock
	cfg.Admins = []string{"tg:9001"}
	s := start(t, cfg)
	ctx := context.Background()
	var upd atomic.Int64
	seller := func(text, act string) []bot.Reply {
		t.Helper()
		r, err := s.app.Router.Handle(ctx, bot.Message{Channel: bot.ChannelTelegram, ChatID: "9001", UserID: "9001", Lang: "en",
			Text: text, Action: act, UpdateID: fmt.Sprint("seller-", upd.Add(1))})
		if err != nil || len(r) == 0 {
			t.Fatalf("seller %q/%q: %v, %+v", text, act, err, r)
		}
		return r
	}
	products, err := s.app.Store.Products(ctx, commerce.ProductFilter{Limit: 1})
	if err != nil || len(products) == 0 {
		t.Fatalf("products: %v", err)
	}
	p := products[0]

	// The seller: product, 2 units, the product's price, in an hour, limit 1, 10 minutes.
	seller("/newdrop", "")
	seller(p.SKU, "")
	r := seller("2", "")
	nonce := strings.Split(action(t, r, "dnd:"), ":")[1]
	seller("", "dnd:"+nonce+":price")
	seller("+1h", "")
	seller("", "dnd:"+nonce+":limit")
	if r = seller("10", ""); !strings.Contains(lastText(r), "Schedule it?") {
		t.Fatalf("preview: %+v", r)
	}
	r = seller("", "dns:"+nonce)
	m := dropCodeRe.FindStringSubmatch(r[0].Text)
	if m == nil || !strings.Contains(r[0].Text, "/d/"+m[1]+"/poster.png") {
		t.Fatalf("scheduled: %q", r[0].Text)
	}
	code := m[1]
	d, err := s.app.drops.ByCode(ctx, code)
	if err != nil {
		t.Fatal(err)
	}

	// Ann asks to be told; the start job tells her when the clock passes the start.
	ann, bob, cat := testenv.UniqueName("ann"), testenv.UniqueName("bob"), testenv.UniqueName("cat")
	card := s.say(ann, "text", "/drop "+code)
	if !strings.Contains(card[0].Text, "Starts in 1 h 0 min") {
		t.Fatalf("card: %q", card[0].Text)
	}
	s.say(ann, "action", action(t, card, "dsb:"))
	clock.Advance(time.Hour)
	runJob(t, s, jobs.StartDropArgs{}.Kind(), func(b []byte) bool {
		var a jobs.StartDropArgs
		return json.Unmarshal(b, &a) == nil && a.DropID == d.ID
	})
	started := s.inbox(ann, "It's on!")
	buy := ""
	for _, row := range started.Buttons {
		for _, b := range row {
			if strings.HasPrefix(b.Action, "dby:") {
				buy = b.Action
			}
		}
	}
	if buy == "" {
		t.Fatalf("start notice without a buy button: %+v", started)
	}

	// Ann buys from the notice and finishes her order.
	r = s.say(ann, "action", buy)
	if !strings.Contains(r[0].Text, "reserved for you until") {
		t.Fatalf("reserve: %+v", r)
	}
	r = s.say(ann, "action", action(t, r, "dfo:"))
	s.say(ann, "action", action(t, r, "dpt:"))
	s.say(ann, "text", "Ann Lee")
	if r = s.say(ann, "text", "+86 138 0000 1234"); !strings.Contains(r[0].Text, "is confirmed") {
		t.Fatalf("order: %+v", r)
	}

	// Bob takes the last unit and lets it lapse; Cat waits for it.
	r = s.say(bob, "text", "/drop "+code)
	if r = s.say(bob, "action", action(t, r, "dby:")); !strings.Contains(r[0].Text, "reserved for you") {
		t.Fatalf("bob: %+v", r)
	}
	bobRes, err := s.app.drops.Active(ctx, d.ID, commerce.Buyer{Channel: bot.ChannelWeb, UserID: s.webID(bob)})
	if err != nil {
		t.Fatal(err)
	}
	r = s.say(cat, "text", "/drop "+code)
	if r = s.say(cat, "action", action(t, r, "dwl:")); !strings.Contains(r[0].Text, "waitlist") {
		t.Fatalf("cat: %+v", r)
	}
	clock.Advance(11 * time.Minute)
	runJob(t, s, jobs.ExpireDropArgs{}.Kind(), func(b []byte) bool {
		var a jobs.ExpireDropArgs
		return json.Unmarshal(b, &a) == nil && a.ReservationID == bobRes.ID
	})
	offer := s.inbox(cat, "Good news")
	if !strings.HasPrefix(offer.Buttons[0][0].Action, "dfo:") {
		t.Fatalf("offer: %+v", offer)
	}
	r = s.say(cat, "action", offer.Buttons[0][0].Action)
	s.say(cat, "action", action(t, r, "dpt:"))
	s.say(cat, "text", "Cat Wu")
	if r = s.say(cat, "text", "+86 138 0000 5678"); !strings.Contains(r[0].Text, "is confirmed") {
		t.Fatalf("cat's order: %+v", r)
	}
	st, err := s.app.drops.Stats(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Sold != 2 || st.Orders != 2 || st.Reserved != 0 || st.Drop.Left != 0 || st.Revenue != p.Price.Mul(2) || st.Subscribers != 1 {
		t.Fatalf("figures %+v", st)
	}
	if r = seller("", fmt.Sprintf("dv:%d", d.ID)); !strings.Contains(r[0].Text, "sold 2 · reserved 0 · left 0") {
		t.Fatalf("seller's figures: %q", r[0].Text)
	}
}

func TestDropFlowSQLite(t *testing.T) {
	t.Parallel()
	dropFlow(t, sqliteConfig(t))
}

func TestDropFlowPostgresRedis(t *testing.T) {
	t.Parallel()
	dropFlow(t, postgresRedisConfig(t))
}
