package bot_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/store/sqlstore"
	"shopbot/templates"
)

// fakePoster records posts and edits; fail makes the next calls fail.
type fakePoster struct {
	mu    sync.Mutex
	next  int
	posts map[string]bot.Reply // chat/message → what it shows
	edits int
	fail  error
}

func (p *fakePoster) Post(_ context.Context, chatID string, r bot.Reply) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return "", p.fail
	}
	p.next++
	id := strconv.Itoa(p.next)
	p.posts[chatID+"/"+id] = r
	return id, nil
}

func (p *fakePoster) Edit(_ context.Context, chatID, messageID string, r bot.Reply) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	if _, ok := p.posts[chatID+"/"+messageID]; !ok {
		return bot.ErrGone
	}
	p.posts[chatID+"/"+messageID] = r
	p.edits++
	return nil
}

func (p *fakePoster) DeepLink(payload string) (string, error) {
	return "https://t.me/ShopBot?start=" + payload, nil
}

func (p *fakePoster) shown(chatID, messageID string) bot.Reply {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.posts[chatID+"/"+messageID]
}

type gpEnv struct {
	t      *testing.T
	store  *sqlstore.Store
	clock  *testenv.Clock
	poster *fakePoster
	gp     *bot.GroupPosts
	router *bot.Router
	texts  *templates.Set
	drop   commerce.Drop
	upd    int
}

func newGPEnv(t *testing.T, names string, withPoster bool) *gpEnv {
	t.Helper()
	st := testenv.DemoSQLite(t)
	clock := testenv.NewClock(time.Date(2030, 5, 1, 10, 0, 0, 0, time.UTC))
	texts := templates.MustLoad()
	drops := commerce.NewDropService(commerce.DropServiceOptions{Store: st, Clock: clock})
	gp := bot.NewGroupPosts(bot.GroupPostsOptions{Store: st, Drops: drops, Texts: texts, Clock: clock, Names: names})
	e := &gpEnv{t: t, store: st, clock: clock, poster: &fakePoster{posts: map[string]bot.Reply{}}, gp: gp, texts: texts}
	if withPoster {
		gp.SetPoster(bot.ChannelTelegram, e.poster)
	}
	e.router = bot.NewRouter(bot.Options{Shop: commerce.NewShop(commerce.ShopOptions{Store: st, Clock: clock}), Sessions: st,
		Dedupe: st, Texts: texts, Admins: []string{"tg:1"}, GroupPosts: gp})
	ps, err := st.Products(t.Context(), commerce.ProductFilter{Limit: 1})
	if err != nil || len(ps) == 0 {
		t.Fatal(err)
	}
	e.drop, err = drops.Create(t.Context(), commerce.Drop{ProductID: ps[0].ID, Units: 3, Price: commerce.CNY(5000),
		StartsAt: clock.Now(), PerBuyerLimit: 1, ReservationTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *gpEnv) handle(m bot.Message) []bot.Reply {
	e.t.Helper()
	e.upd++
	m.Channel, m.UpdateID, m.Lang = bot.ChannelTelegram, strconv.Itoa(e.upd), "en"
	r, err := e.router.Handle(e.t.Context(), m)
	if err != nil {
		e.t.Fatalf("handle %+v: %v", m, err)
	}
	return r
}

func (e *gpEnv) tx(key string, data any) string { return e.texts.Text("en", key, data) }

func TestPostCommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		user, chat string
		text       string
		noPoster   bool
		posterErr  error
		want       string // the one reply's text; "" = no reply
		posted     bool
	}{
		{"admin in private", "1", "1", "/post CODE", false, nil, "gp_in_group", false},
		{"other in private", "2", "2", "/post CODE", false, nil, "help_unknown", false},
		{"other in group", "2", "-5", "/post CODE", false, nil, "gp_forbidden", false},
		{"no code", "1", "-5", "/post", false, nil, "gp_usage", false},
		{"bad code", "1", "-5", "/post 0000", false, nil, "gp_usage", false},
		{"bad language", "1", "-5", "/post CODE fr", false, nil, "gp_usage", false},
		{"unknown drop", "1", "-5", "/post zzzzzzzz", false, nil, "gp_not_found", false},
		{"no poster", "1", "-5", "/post CODE", true, nil, "gp_unavailable", false},
		{"bot removed", "1", "-5", "/post CODE", false, bot.ErrGone, "", false},
		{"posted", "1", "-5", "/post CODE", false, nil, "", true},
		{"posted in upper case, Russian", "1", "-5", "/post UPPER ru", false, nil, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newGPEnv(t, bot.NamesFirst, !tc.noPoster)
			e.poster.fail = tc.posterErr
			text := strings.NewReplacer("CODE", e.drop.Code, "UPPER", strings.ToUpper(e.drop.Code)).Replace(tc.text)
			replies := e.handle(bot.Message{ChatID: tc.chat, UserID: tc.user, Text: text, Group: strings.HasPrefix(tc.chat, "-")})
			switch {
			case tc.want == "" && len(replies) != 0:
				t.Fatalf("replies %+v; want none", replies)
			case tc.want != "" && (len(replies) != 1 || replies[0].Text != e.tx(tc.want, map[string]any{"Code": "zzzzzzzz"})):
				t.Fatalf("replies %+v; want %s", replies, tc.want)
			}
			p, err := e.store.DropPost(t.Context(), e.drop.ID, bot.ChannelTelegram, tc.chat)
			if tc.posted != (err == nil) {
				t.Fatalf("post stored = %+v, %v; want stored %v", p, err, tc.posted)
			}
			if tc.posted && strings.HasSuffix(tc.text, "ru") && (p.Lang != "ru" || !strings.Contains(e.poster.shown(tc.chat, p.MessageID).Text, "Осталось")) {
				t.Fatalf("Russian post = %+v: %q", p, e.poster.shown(tc.chat, p.MessageID).Text)
			}
		})
	}
}

// +1 taps: toasts in groups (never a message there), a private message
// for a new taker, and the names setting applied to the list.
func TestChainTaps(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		names    string
		listed   string
		unlisted string
	}{
		{bot.NamesFirst, "1. Anna", ""},
		{bot.NamesInitials, "1. A.", "Anna"},
		{bot.NamesNone, e2eJoined(2), "Anna"},
	} {
		t.Run(tc.names, func(t *testing.T) {
			t.Parallel()
			e := newGPEnv(t, tc.names, true)
			ctx := t.Context()
			p, err := e.gp.Publish(ctx, e.drop.Code, bot.ChannelTelegram, "-5", "en")
			if err != nil {
				t.Fatal(err)
			}
			action := "j:" + strconv.FormatInt(e.drop.ID, 10)
			tap := func(user, name string) []bot.Reply {
				return e.handle(bot.Message{ChatID: "-5", UserID: user, FirstName: name, Action: action, Group: true})
			}
			r := tap("10", "Anna")
			if len(r) != 2 || r[0].Toast != e.tx("gp_toast_taken", map[string]any{"Position": 1}) || r[0].Text != "" ||
				!r[1].Private || len(r[1].Buttons) != 1 || r[1].Buttons[0][0].URL != "https://t.me/ShopBot?start=d_"+e.drop.Code {
				t.Fatalf("first tap = %+v; want a toast and a private finish link", r)
			}
			if r := tap("10", "Anna"); len(r) != 1 || r[0].Toast != e.tx("gp_toast_already", map[string]any{"Position": 1}) {
				t.Fatalf("double tap = %+v", r)
			}
			tap("11", "Boris")
			if n, err := e.gp.Refresh(ctx); err != nil || n != 1 {
				t.Fatalf("refresh = %d, %v; want 1 edit", n, err)
			}
			text := e.poster.shown("-5", p.MessageID).Text
			if !strings.Contains(text, tc.listed) || tc.unlisted != "" && strings.Contains(text, tc.unlisted) {
				t.Fatalf("post =\n%s\nwant %q listed and %q not", text, tc.listed, tc.unlisted)
			}
			if got, _ := e.store.Drop(ctx, e.drop.ID); got.Left != 1 {
				t.Fatalf("units left %d; want 1 (two takers, one double tap)", got.Left)
			}
			// In a private chat (no group to keep quiet) the answer is a message.
			if r := e.handle(bot.Message{ChatID: "12", UserID: "12", Action: "j:999999"}); len(r) != 1 || r[0].Text != e.tx("gp_toast_stale", nil) || r[0].Toast != "" {
				t.Fatalf("stale tap in private = %+v", r)
			}
		})
	}
}

// A member whose "+1" unit lapsed (ran out, or was given back) takes one
// again with a new tap; racing taps still make one reservation, and the
// post lists the member once.
func TestChainRetakeAfterLapse(t *testing.T) {
	t.Parallel()
	e := newGPEnv(t, bot.NamesFirst, true)
	ctx := t.Context()
	p, err := e.gp.Publish(ctx, e.drop.Code, bot.ChannelTelegram, "-5", "en")
	if err != nil {
		t.Fatal(err)
	}
	drops := commerce.NewDropService(commerce.DropServiceOptions{Store: e.store, Clock: e.clock})
	anna := commerce.Buyer{Channel: bot.ChannelTelegram, UserID: "10"}
	taps := func(n int) []bot.TakeOutcome {
		t.Helper()
		outs := make([]bot.TakeOutcome, n)
		var wg sync.WaitGroup
		for i := range outs {
			wg.Go(func() {
				out, err := e.gp.Take(ctx, e.drop.ID, bot.ChannelTelegram, "-5", "10", "Anna", "en")
				if err != nil {
					t.Errorf("Take: %v", err)
				}
				outs[i] = out
			})
		}
		wg.Wait()
		return outs
	}
	held := func() commerce.DropReservation {
		t.Helper()
		var r commerce.DropReservation
		for _, o := range taps(4) {
			if o.Position != 1 || o.Key != "gp_toast_taken" && o.Key != "gp_toast_already" {
				t.Fatalf("tap outcome %+v; want taken or already at place 1", o)
			}
			if o.New {
				if r.ID != 0 {
					t.Fatalf("two new reservations from racing taps: %d and %d", r.ID, o.Reservation.ID)
				}
				r = o.Reservation
			}
		}
		if r.ID == 0 {
			t.Fatal("no tap reserved")
		}
		if got, _ := e.store.Drop(ctx, e.drop.ID); got.Left != 2 {
			t.Fatalf("units left %d; want 2 (one held)", got.Left)
		}
		return r
	}
	first := held()
	// The hour runs out; the expiry job has not run yet.
	e.clock.Advance(2 * time.Hour)
	second := held()
	if second.ID == first.ID {
		t.Fatal("the tap after the expiry replayed the lapsed reservation")
	}
	if ok, err := drops.Release(ctx, second.ID, anna); err != nil || !ok {
		t.Fatalf("Release = %v, %v", ok, err)
	}
	if third := held(); third.ID == second.ID || third.ID == first.ID {
		t.Fatalf("the tap after a release got %d again", third.ID)
	}
	if n, err := e.gp.Refresh(ctx); err != nil || n != 1 {
		t.Fatalf("refresh = %d, %v; want 1 edit", n, err)
	}
	if text := e.poster.shown("-5", p.MessageID).Text; !strings.Contains(text, "1. Anna") || strings.Count(text, "Anna") != 1 {
		t.Fatalf("post =\n%s\nwant Anna listed once", text)
	}
}

func e2eJoined(n int) string {
	return templates.MustLoad().Text("en", "gp_takers_count", map[string]any{"Joined": n})
}

// An edit that fails for another reason is tried again at the chat's next
// slot; one answered ErrGone stops the updates.
func TestRefreshRetriesAndGone(t *testing.T) {
	t.Parallel()
	e := newGPEnv(t, bot.NamesFirst, true)
	ctx := t.Context()
	p, err := e.gp.Publish(ctx, e.drop.Code, bot.ChannelTelegram, "-5", "en")
	if err != nil {
		t.Fatal(err)
	}
	e.handle(bot.Message{ChatID: "-5", UserID: "10", FirstName: "Anna", Action: "j:" + strconv.FormatInt(e.drop.ID, 10), Group: true})
	e.poster.fail = errors.New("timeout")
	if n, err := e.gp.Refresh(ctx); n != 0 || err == nil {
		t.Fatalf("failing refresh = %d, %v; want 0 and the error", n, err)
	}
	e.poster.fail = nil
	if n, _ := e.gp.Refresh(ctx); n != 0 {
		t.Fatalf("refresh within the interval edited %d", n)
	}
	e.clock.Advance(e.gp.Interval())
	if n, err := e.gp.Refresh(ctx); n != 1 || err != nil {
		t.Fatalf("refresh at the next slot = %d, %v", n, err)
	}
	e.poster.fail = bot.ErrGone
	e.handle(bot.Message{ChatID: "-5", UserID: "11", FirstName: "Boris", Action: "j:" + strconv.FormatInt(e.drop.ID, 10), Group: true})
	e.clock.Advance(e.gp.Interval())
	if n, err := e.gp.Refresh(ctx); n != 0 || err != nil {
		t.Fatalf("refresh of a gone post = %d, %v; want 0, nil", n, err)
	}
	if got, err := e.store.DropPost(ctx, e.drop.ID, bot.ChannelTelegram, "-5"); err != nil || !got.Gone || got.MessageID != p.MessageID {
		t.Fatalf("post = %+v, %v; want gone", got, err)
	}
}
