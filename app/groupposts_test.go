package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/bot/telegram"
	"shopbot/bot/telegram/telegramtest"
	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/templates"
)

const (
	postSecret  = "posts-secret-0123456789"
	postSeller  = 900        // tg:900 is an admin
	postChannel = -100888    // a channel listed in the admins
	postGroup   = -100777001 // a supergroup
)

// postEnv is one shop process talking to the fake Bot API, everything on
// one simulated clock: the shop, the Telegram sender and the fake's flood
// accounting. Updates go through the webhook handler; the refresher is
// driven by calling Refresh (Serve's loop only calls it every tick).
type postEnv struct {
	t     *testing.T
	app   *App
	api   *telegramtest.FakeAPI
	clock *testenv.Clock
	texts *templates.Set
	next  int64
}

func newPostClock() *testenv.Clock {
	return testenv.NewClock(time.Date(2030, 3, 1, 10, 0, 0, 0, time.UTC))
}

func postConfig(cfg Config, api *telegramtest.FakeAPI, clock *testenv.Clock) Config {
	cfg.PublicURL = "https://shop.example"
	cfg.Telegram = TelegramConfig{Token: telegramtest.Token, APIEndpoint: api.Endpoint(), WebhookSecret: postSecret, Mode: telegram.ModeWebhook}
	cfg.Admins = []string{"tg:" + strconv.Itoa(postSeller), "tg:" + strconv.Itoa(postChannel)}
	cfg.clock = clock
	cfg.telegramClock = clock.Now
	// The sender waits by moving the simulated time on (the test is sequential).
	cfg.telegramSleep = func(ctx context.Context, d time.Duration) error { clock.Advance(d); return ctx.Err() }
	return cfg
}

func openPostEnv(t *testing.T, cfg Config, api *telegramtest.FakeAPI, clock *testenv.Clock) *postEnv {
	t.Helper()
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return &postEnv{t: t, app: a, api: api, clock: clock, texts: templates.MustLoad(), next: 1000}
}

func (e *postEnv) send(body []byte) {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodPost, telegramtest.WebhookPath, bytes.NewReader(body))
	req.Header.Set(telegramtest.SecretHeader, postSecret)
	rec := httptest.NewRecorder()
	e.app.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		e.t.Fatalf("webhook answered %d", rec.Code)
	}
}

func (e *postEnv) id() int64 { e.next++; return e.next }

func (e *postEnv) text(chat, user int64, text string) {
	e.send(telegramtest.TextUpdate(e.id(), chat, user, text, "en"))
}

// channelPost is text posted in a channel: the sender is the channel.
func (e *postEnv) channelPost(chat int64, text string) {
	e.t.Helper()
	ch := map[string]any{"id": chat, "type": "channel", "title": "Channel"}
	id := e.id()
	body, err := json.Marshal(map[string]any{"update_id": id, "channel_post": map[string]any{
		"message_id": id, "date": e.clock.Now().Unix(), "chat": ch, "sender_chat": ch, "text": text}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.send(body)
}

// tap presses "+1" (data) on the post m as user and returns the toast.
func (e *postEnv) tap(user int64, m telegramtest.Message, data string) string {
	e.t.Helper()
	id := e.id()
	e.send(e.api.CallbackOn(id, user, m, data, "en"))
	for _, c := range e.api.Calls("answerCallbackQuery") {
		if c.Params.Get("callback_query_id") == "cb"+strconv.FormatInt(id, 10) {
			return c.Params.Get("text")
		}
	}
	e.t.Fatalf("tap %d was not answered", id)
	return ""
}

func (e *postEnv) refresh() int {
	e.t.Helper()
	n, err := e.app.posts.Refresh(context.Background())
	if err != nil {
		e.t.Fatalf("refresh: %v", err)
	}
	return n
}

func (e *postEnv) tx(key string, data any) string { return e.texts.Text("en", key, data) }

// createDrop puts units of the first demo product on sale from start.
func (e *postEnv) createDrop(units, limit int, start time.Time) (commerce.Drop, commerce.Product) {
	e.t.Helper()
	ctx := context.Background()
	products, err := e.app.Store.Products(ctx, commerce.ProductFilter{Limit: 1})
	if err != nil || len(products) == 0 {
		e.t.Fatalf("products: %v", err)
	}
	d, err := e.app.drops.Create(ctx, commerce.Drop{ProductID: products[0].ID, Units: units, Price: commerce.CNY(9900),
		StartsAt: start, PerBuyerLimit: limit, ReservationTTL: time.Hour})
	if err != nil {
		e.t.Fatal(err)
	}
	return d, products[0]
}

// post is the drop's post in chat (the fake's only photo message there).
func (e *postEnv) post(chat int64) telegramtest.Message {
	e.t.Helper()
	var found []telegramtest.Message
	for _, m := range e.api.Messages(chat) {
		if m.Photo != "" {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		e.t.Fatalf("chat %d has %d photo posts; want 1: %+v", chat, len(found), e.api.Messages(chat))
	}
	return found[0]
}

func editsIn(api *telegramtest.FakeAPI, chat int64, from, to time.Time) int {
	n := 0
	for _, c := range api.Calls("editMessageCaption", "editMessageText") {
		if c.Params.Get("chat_id") == strconv.FormatInt(chat, 10) && !c.At.Before(from) && c.At.Before(to) && c.Status == 200 {
			n++
		}
	}
	return n
}

func buttons(m telegramtest.Message) []telegramtest.Button {
	var out []telegramtest.Button
	for _, row := range m.Markup {
		out = append(out, row...)
	}
	return out
}

// groupPostRush: a seller posts a drop in a group; before the start it
// shows the start time and no buttons; at the start the refresh adds Buy
// and +1; then within one minute 200 units go to web buyers and 50 members
// tap +1 (some twice) while the post is refreshed every second. The group
// gets at most one edit per interval, the fake sees no flood violation,
// each member holds one unit however often they tapped, nobody gets a
// group message per tap, and the final post says sold out and lists the
// takers.
func groupPostRush(t *testing.T, cfg Config) {
	clock := newPostClock()
	api := telegramtest.NewFakeAPIWith(telegramtest.Options{Clock: clock.Now, Tolerance: -1})
	defer api.Close()
	e := openPostEnv(t, postConfig(cfg, api, clock), api, clock)
	ctx := context.Background()
	const web, takers = 200, 50
	startAt := clock.Now().Add(10 * time.Minute)
	d, prod := e.createDrop(web+takers+2, 2, startAt)
	jAction := "j:" + strconv.FormatInt(d.ID, 10)

	// Anyone else's /post is refused, and posts nothing.
	e.text(postGroup, 555, "/post "+d.Code)
	if m, ok := api.Last(postGroup); !ok || m.Text != e.tx("gp_forbidden", nil) {
		t.Fatalf("non-admin /post answered %+v; want the refusal", m)
	}
	// The seller posts: the card with the start time, no buttons yet.
	e.text(postGroup, postSeller, "/post "+d.Code)
	m := e.post(postGroup)
	if !strings.Contains(m.Caption, prod.Title.In("en")) || !strings.Contains(m.Caption, "Starts") || len(m.Markup) != 0 {
		t.Fatalf("post before the start = %q with buttons %v; want title, start time, no buttons", m.Caption, m.Markup)
	}
	if n := e.refresh(); n != 0 {
		t.Fatalf("refresh with nothing changed made %d edits", n)
	}
	if toast := e.tap(1999, m, jAction); toast != e.tx("gp_toast_not_started", nil) {
		t.Fatalf("tap before the start: %q", toast)
	}

	// At the start the post gets its buttons.
	clock.Set(startAt)
	if n := e.refresh(); n != 1 {
		t.Fatalf("refresh at the start made %d edits; want 1", n)
	}
	m = e.post(postGroup)
	bs := buttons(m)
	if len(bs) != 2 || bs[0].URL != "https://t.me/"+telegramtest.BotUsername+"?start=d_"+d.Code || bs[1].CallbackData != jAction {
		t.Fatalf("buttons at the start = %+v; want Buy (d_%s) and +1 (%s)", bs, d.Code, jAction)
	}
	if want := e.tx("gp_state_left", map[string]any{"Left": d.Units, "Units": d.Units}); !strings.Contains(m.Caption, want) {
		t.Fatalf("post at the start = %q; want %q", m.Caption, want)
	}

	// A member who already holds the limit (bought in private) is told so.
	for i := range 2 {
		if _, err := e.app.drops.Reserve(ctx, d.ID, commerce.Buyer{Channel: "tg", UserID: "3000"}, 1, fmt.Sprint("private-", i)); err != nil {
			t.Fatal(err)
		}
	}
	if toast := e.tap(3000, m, jAction); toast != e.tx("gp_toast_limit", nil) {
		t.Fatalf("tap over the limit: %q", toast)
	}

	// The rush: one simulated minute, a refresh every second.
	rushStart := clock.Now()
	const blocked = 1007 // never started the bot: the private message gets 403
	for s := range 60 {
		for i := s * web / 60; i < (s+1)*web/60; i++ {
			if _, err := e.app.drops.Reserve(ctx, d.ID, commerce.Buyer{Channel: "web", UserID: fmt.Sprint("w", i)}, 1, fmt.Sprint("web-", i)); err != nil {
				t.Fatalf("web buyer %d: %v", i, err)
			}
		}
		if s < takers {
			user := int64(1000 + s)
			if user == blocked {
				api.Inject("sendMessage", telegramtest.Fault{Code: 403, Desc: "Forbidden: bot can't initiate conversation with a user"})
			}
			want := e.tx("gp_toast_taken", map[string]any{"Position": s + 1})
			if toast := e.tap(user, m, jAction); toast != want {
				t.Fatalf("tap of %d = %q; want %q", user, toast, want)
			}
			if s%10 == 0 { // a double tap
				want := e.tx("gp_toast_already", map[string]any{"Position": s + 1})
				if toast := e.tap(user, m, jAction); toast != want {
					t.Fatalf("second tap of %d = %q; want %q", user, toast, want)
				}
			}
		}
		e.refresh()
		clock.Advance(time.Second)
	}
	rushEnd := clock.Now()
	if got, _ := e.app.Store.Drop(ctx, d.ID); got.Left != 0 {
		t.Fatalf("units left after the rush = %d; want 0 (every unit taken once)", got.Left)
	}
	if toast := e.tap(2000, m, jAction); toast != e.tx("gp_toast_sold_out", nil) {
		t.Fatalf("tap after sold out: %q", toast)
	}
	clock.Advance(e.app.posts.Interval())
	e.refresh()

	interval := e.app.posts.Interval()
	edits := editsIn(api, postGroup, rushStart, rushEnd)
	t.Logf("rush minute: %d web reservations and %d +1 taps (%d more double taps): %d edits of the group post, %d flood violations",
		web, takers, takers/10, edits, api.Violations())
	if max := int(time.Minute / interval); edits > max || edits < max-2 {
		t.Errorf("%d edits in the rush minute; want about %d and never more (one per %s)", edits, max, interval)
	}
	if v := api.Violations(); v != 0 {
		t.Errorf("the fake Bot API counted %d flood violations", v)
	}
	// The group got the refusal and the post, nothing per tap.
	if n := len(api.Messages(postGroup)); n != 2 {
		t.Errorf("group has %d messages; want 2 (refusal, post)", n)
	}
	final := e.post(postGroup)
	names := make([]string, 20)
	for i := range names {
		names[i] = fmt.Sprint("User ", 1000+i)
	}
	for _, want := range []string{
		e.tx("gp_state_sold_out", nil),
		e.tx("gp_takers", map[string]any{"Joined": takers, "Takers": names, "More": takers - 20}),
	} {
		if !strings.Contains(final.Caption, want) {
			t.Errorf("final post =\n%s\nwant it to contain\n%s", final.Caption, want)
		}
	}
	if bs := buttons(final); len(bs) != 1 || bs[0].Text != e.tx("gp_btn_my_order", nil) || bs[0].URL == "" {
		t.Errorf("buttons when sold out = %+v; want only My order", bs)
	}
	// Each taker holds one reservation, made with the chain key.
	for s := range takers {
		buyer := commerce.Buyer{Channel: "tg", UserID: strconv.Itoa(1000 + s)}
		r, err := e.app.Store.DropReservationByKey(ctx, "chain:"+strconv.FormatInt(d.ID, 10)+":"+buyer.Key())
		if err != nil || r.Qty != 1 || r.Buyer != buyer {
			t.Fatalf("chain reservation of %v = %+v, %v", buyer, r, err)
		}
	}
	// Takers are told privately, with a button to finish; the blocked one is not.
	for _, user := range []int64{1000, 1049} {
		msgs := api.Messages(user)
		if len(msgs) != 1 || len(buttons(msgs[0])) != 1 || buttons(msgs[0])[0].URL != "https://t.me/"+telegramtest.BotUsername+"?start=d_"+d.Code {
			t.Errorf("private messages to %d = %+v; want one with the finish link", user, msgs)
		}
	}
	if msgs := api.Messages(blocked); len(msgs) != 0 {
		t.Errorf("the user who never started the bot has messages %+v", msgs)
	}
	// The finish link opens the drop in the private chat with the unit the
	// tap held, ready to be finished.
	held, err := e.app.Store.DropReservationByKey(ctx, "chain:"+strconv.FormatInt(d.ID, 10)+":tg:1000")
	if err != nil {
		t.Fatal(err)
	}
	e.text(1000, 1000, "/start d_"+d.Code)
	if _, data, ok := api.WithButton(1000, "dfo:"); !ok || data != fmt.Sprint("dfo:", held.ID) {
		t.Errorf("the drop card in private offers no finish for the held reservation %d: %+v", held.ID, api.Messages(1000))
	}
}

func TestGroupPostRushSQLite(t *testing.T) {
	t.Parallel()
	groupPostRush(t, sqliteConfig(t))
}

func TestGroupPostRushPostgresRedis(t *testing.T) {
	t.Parallel()
	groupPostRush(t, postgresRedisConfig(t))
}

// A channel listed in the admins may /post (its posts come from the
// channel itself); another channel may not.
func TestGroupPostInChannel(t *testing.T) {
	t.Parallel()
	clock := newPostClock()
	api := telegramtest.NewFakeAPIWith(telegramtest.Options{Clock: clock.Now, Tolerance: -1})
	defer api.Close()
	e := openPostEnv(t, postConfig(sqliteConfig(t), api, clock), api, clock)
	d, _ := e.createDrop(5, 1, clock.Now().Add(-time.Minute))
	e.channelPost(postChannel, "/post "+d.Code+" ru")
	m := e.post(postChannel)
	if !strings.Contains(m.Caption, e.texts.Text("ru", "gp_state_left", map[string]any{"Left": 5, "Units": 5})) || len(buttons(m)) != 2 {
		t.Fatalf("channel post = %q %+v; want the Russian card with Buy and +1", m.Caption, buttons(m))
	}
	const other = -100999
	e.channelPost(other, "/post "+d.Code)
	if m, ok := api.Last(other); !ok || m.Text != e.texts.Text("zh-CN", "gp_forbidden", nil) {
		t.Fatalf("unlisted channel's /post answered %+v; want the refusal", m)
	}
	// Private chat: the seller is told where /post works.
	e.text(postSeller, postSeller, "/post "+d.Code)
	if m, ok := api.Last(postSeller); !ok || m.Text != e.tx("gp_in_group", nil) {
		t.Fatalf("/post in private answered %+v", m)
	}
	e.text(postGroup, postSeller, "/post zzzzzzzz")
	if m, ok := api.Last(postGroup); !ok || m.Text != e.tx("gp_not_found", map[string]any{"Code": "zzzzzzzz"}) {
		t.Fatalf("/post of an unknown code answered %+v", m)
	}
}

// The refresher's state lives in the database: two replicas refreshing at
// once edit once, a process that dies after an edit leaves its chat's slot
// taken for the interval, a new process edits only what changed, and a
// deleted post is left alone until it is posted again. The post is made
// with `shopbot drop post`.
func TestGroupPostReplicasRestartAndGone(t *testing.T) {
	t.Parallel()
	// The command runs on the wall clock: start the simulated one there.
	clock := testenv.NewClock(time.Now())
	api := telegramtest.NewFakeAPIWith(telegramtest.Options{Clock: clock.Now, Tolerance: -1})
	defer api.Close()
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "shop.db")
	cfg := postConfig(sqliteConfig(t), api, clock)
	cfg.DatabaseURL = dbURL
	a1 := openPostEnv(t, cfg, api, clock)
	a2 := openPostEnv(t, cfg, api, clock)
	ctx := context.Background()
	d, _ := a1.createDrop(20, 5, clock.Now().Add(-time.Minute))

	env := map[string]string{"DATABASE_URL": dbURL, "TELEGRAM_TOKEN": telegramtest.Token, "TELEGRAM_API_ENDPOINT": api.Endpoint(),
		"TELEGRAM_MODE": "polling", "SHOPBOT_PUBLIC_URL": "https://shop.example", "SHOPBOT_SEED_DEMO": "false"}
	var out, errs bytes.Buffer
	if code := Main(ctx, []string{"drop", "post", d.Code, "--chat", strconv.Itoa(postGroup), "--lang", "en"},
		func(k string) string { return env[k] }, &out, &errs); code != 0 {
		t.Fatalf("shopbot drop post = %d: %s", code, errs.String())
	}
	m := a1.post(postGroup)
	if !strings.Contains(out.String(), "message "+strconv.Itoa(m.ID)) {
		t.Fatalf("drop post printed %q; want the message id %d", out.String(), m.ID)
	}
	reserve := func(i int) {
		t.Helper()
		if _, err := a2.app.drops.Reserve(ctx, d.ID, commerce.Buyer{Channel: "web", UserID: fmt.Sprint("r", i)}, 1, fmt.Sprint("r-", i)); err != nil {
			t.Fatal(err)
		}
	}
	caption := func() string { return a1.post(postGroup).Caption }
	left := func(n int) string { return a1.tx("gp_state_left", map[string]any{"Left": n, "Units": 20}) }

	// Two replicas refresh at the same moment: one edit.
	reserve(1)
	var wg sync.WaitGroup
	var mu sync.Mutex
	edits := 0
	for _, e := range []*postEnv{a1, a2} {
		wg.Go(func() {
			n, err := e.app.posts.Refresh(ctx)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			edits += n
			mu.Unlock()
		})
	}
	wg.Wait()
	if edits != 1 || !strings.Contains(caption(), left(19)) {
		t.Fatalf("two replicas made %d edits, post %q; want 1 edit showing 19 left", edits, caption())
	}

	// Replica 1 goes away; within the interval replica 2 may not edit.
	a1.app.Close()
	reserve(2)
	clock.Advance(time.Second)
	if n := a2.refresh(); n != 0 {
		t.Fatalf("edit within the interval after another process's edit: %d", n)
	}
	clock.Advance(a2.app.posts.Interval())
	if n := a2.refresh(); n != 1 || !strings.Contains(caption(), left(18)) {
		t.Fatalf("after the interval: %d edits, post %q; want 1 showing 18 left", n, caption())
	}
	// A restarted process finds nothing to do.
	a3 := openPostEnv(t, cfg, api, clock)
	clock.Advance(time.Minute)
	if n := a3.refresh(); n != 0 {
		t.Fatalf("a restarted process re-edited an up-to-date post: %d", n)
	}

	// Someone deletes the post: the next edit fails, the post is marked
	// gone, and later changes try no edit.
	if !api.DeleteMessage(postGroup, m.ID) {
		t.Fatal("delete failed")
	}
	reserve(3)
	if n := a3.refresh(); n != 0 {
		t.Fatalf("refresh of a deleted post reported %d edits", n)
	}
	p, err := a3.app.Store.DropPost(ctx, d.ID, bot.ChannelTelegram, strconv.Itoa(postGroup))
	if err != nil || !p.Gone {
		t.Fatalf("deleted post = %+v, %v; want gone", p, err)
	}
	tried := len(api.Calls("editMessageCaption"))
	reserve(4)
	clock.Advance(time.Minute)
	a3.refresh()
	if n := len(api.Calls("editMessageCaption")); n != tried {
		t.Fatalf("%d edits tried on a gone post", n-tried)
	}

	// Posting again brings it back (one post in the group), and posting
	// once more replaces the message instead of adding one.
	for range 2 {
		a3.text(postGroup, postSeller, "/post "+d.Code)
		if got := a3.post(postGroup); !strings.Contains(got.Caption, left(16)) {
			t.Fatalf("post again = %q; want 16 left", got.Caption)
		}
	}
	if p, err := a3.app.Store.DropPost(ctx, d.ID, bot.ChannelTelegram, strconv.Itoa(postGroup)); err != nil || p.Gone {
		t.Fatalf("post after posting again = %+v, %v", p, err)
	}
	if v := api.Violations(); v != 0 {
		t.Errorf("%d flood violations", v)
	}
}

func TestGroupPostsConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		names, interval string
		want            GroupPostsConfig
		bad             bool
	}{
		{"", "", GroupPostsConfig{Names: bot.NamesFirst, Interval: 5 * time.Second}, false},
		{"initials", "10s", GroupPostsConfig{Names: bot.NamesInitials, Interval: 10 * time.Second}, false},
		{"none", "3s", GroupPostsConfig{Names: bot.NamesNone, Interval: 3 * time.Second}, false},
		{"full", "", GroupPostsConfig{}, true},
		{"", "2s", GroupPostsConfig{}, true}, // 30 edits a minute would break Telegram's 20
		{"", "soon", GroupPostsConfig{}, true},
	} {
		got, err := groupPostsConfig(func(k string) string {
			return map[string]string{"SHOPBOT_CHAIN_NAMES": tc.names, "SHOPBOT_POST_INTERVAL": tc.interval}[k]
		})
		if (err != nil) != tc.bad || !tc.bad && got != tc.want {
			t.Errorf("names %q interval %q: %+v, %v", tc.names, tc.interval, got, err)
		}
	}
}
