package bot_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata" // dates are shown in the pickup point's zone, as in cmd/shopbot

	"shopbot/bot"
	"shopbot/chatstate"
	"shopbot/commerce"
	"shopbot/demo"
	phonenum "shopbot/internal/phone"
	"shopbot/internal/testenv"
	"shopbot/qrscan"
	"shopbot/store/sqlstore"
	"shopbot/templates"
)

// texts is the real text set; every expected reply is rendered from it.
var texts = templates.MustLoad()

// harness is a Router on a fresh, migrated, demo-seeded SQLite database.
type harness struct {
	t      *testing.T
	ctx    context.Context
	store  *sqlstore.Store
	shop   *commerce.Shop
	router *bot.Router
	clock  *testenv.Clock
	cats   map[string]int64            // slug → id
	prods  map[string]commerce.Product // SKU → product as seeded
	points []commerce.PickupPoint
	pickup *commerce.Pickup      // nil unless harnessOptions.pickup
	drops  *commerce.DropService // nil unless harnessOptions.drops
	// desk is the seller's order desk on the same store and clock.
	desk *commerce.OrderDesk
	// persons links chats (nil unless harnessOptions.persons).
	persons *commerce.Persons
	setup   *commerce.ShopSetup // nil unless harnessOptions.setup or wizard
	placed  atomic.Int64        // EventOrderPlaced count
	upd     atomic.Int64        // update id sequence
	// questions passes buyers' messages to the sellers (nil unless harnessOptions.questions).
	questions *commerce.Questions
}

type harnessOptions struct {
	// wrapSessions wraps the SQL session store (to inject failures).
	wrapSessions func(chatstate.SessionStore) chatstate.SessionStore
	// pickup, when set, turns on the pickup features: a commerce.Pickup on
	// the same store and clock (Store, Clock and a Secret are filled in).
	pickup *commerce.PickupOptions
	// admins are the seller identities.
	admins []string
	// noQR leaves Options.DecodeQR unset (photos cannot be read); by
	// default the router decodes with qrscan.Decode, as the app wires it.
	noQR bool
	// drops turns on drops: a commerce.DropService on the same store and clock.
	drops bool
	// broadcasts turns on the audience and broadcasts, on the same store.
	broadcasts bool
	// limiter bounds each identity's messages (Options.Limiter); its clock
	// may be the harness's.
	limiter func(now func() time.Time) chatstate.Limiter
	// log receives the router's log records.
	log *slog.Logger
	// persons turns on linking chats (commerce.Persons on the same store and clock).
	persons bool
	// limits are the shop's and the drops' per-person limits (zero: the defaults).
	limits commerce.PersonLimits
	// questions turns on asking the sellers (commerce.Questions on the same
	// store and clock; questionLimits, when set, its limits).
	questions      bool
	questionLimits commerce.QuestionLimits
	// setup turns on the shop setup (commerce.ShopSetup on the same store
	// and clock); wizard also walks an admin's first /start through it.
	setup, wizard bool
	// empty starts from an empty database instead of the demo shop.
	empty bool
	// consoleLink makes the console's login links (Options.ConsoleLink).
	consoleLink func(ctx context.Context, identity string) (bot.ConsoleLink, error)
	// options changes the router's options last (a feature's own test
	// switches it on with services on the harness's store and clock).
	options func(h *harness, o *bot.Options)
}

func newHarness(t *testing.T, opts ...harnessOptions) *harness {
	t.Helper()
	var o harnessOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	ctx := t.Context()
	st := testenv.DemoSQLite(t)
	if o.empty {
		st = testenv.SQLite(t)
	}
	h := &harness{t: t, ctx: ctx, store: st, clock: testenv.NewClock(time.Date(2030, 5, 1, 10, 0, 0, 0, time.UTC)),
		cats: map[string]int64{}, prods: map[string]commerce.Product{}}
	cn, err := phonenum.New("CN")
	if err != nil {
		t.Fatal(err)
	}
	// Phone numbers in E.164, as the app stores them.
	e164 := func(s string) (string, error) {
		p, err := cn.Normalize(s)
		if err != nil {
			return "", fmt.Errorf("%w: %w", commerce.ErrInvalid, err)
		}
		return p, nil
	}
	h.shop = commerce.NewShop(commerce.ShopOptions{Store: st, Clock: commerce.ClockFunc(h.clock.Now), Limits: o.limits, Phone: e164})
	cats, err := st.Categories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cats {
		h.cats[c.Slug] = c.ID
	}
	ps, err := st.Products(ctx, commerce.ProductFilter{Limit: 1000, WithHidden: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		h.prods[p.SKU] = p
	}
	if h.points, err = st.PickupPoints(ctx); err != nil || len(h.points) == 0 && !o.empty {
		t.Fatalf("pickup points: %v, %v", h.points, err)
	}
	var sessions chatstate.SessionStore = st
	if o.wrapSessions != nil {
		sessions = o.wrapSessions(st)
	}
	if o.pickup != nil {
		po := *o.pickup
		po.Store, po.Clock = st, commerce.ClockFunc(h.clock.Now)
		if po.Secret == nil {
			po.Secret = []byte("0123456789abcdef0123456789abcdef")
		}
		if h.pickup, err = commerce.NewPickup(po); err != nil {
			t.Fatal(err)
		}
	}
	decodeQR := qrscan.Decode
	if o.noQR {
		decodeQR = nil
	}
	if o.drops {
		h.drops = commerce.NewDropService(commerce.DropServiceOptions{Store: st, Clock: h.clock, Limits: o.limits, Phone: e164})
	}
	if o.persons {
		h.persons = commerce.NewPersons(commerce.PersonsOptions{Store: st, Clock: h.clock})
	}
	if o.questions {
		h.questions = commerce.NewQuestions(commerce.QuestionsOptions{Store: st, Clock: h.clock, Limits: o.questionLimits})
	}
	h.desk = commerce.NewOrderDesk(commerce.OrderDeskOptions{Store: st, Shop: h.shop, Pickup: h.pickup, Clock: h.clock})
	var audience commerce.AudienceStore
	var broadcasts commerce.BroadcastStore
	if o.broadcasts {
		audience, broadcasts = st, st
	}
	var limiter chatstate.Limiter
	if o.limiter != nil {
		limiter = o.limiter(h.clock.Now)
	}
	sellerOpts := commerce.SellerOptions{Store: st, Clock: commerce.ClockFunc(h.clock.Now)}
	if o.setup || o.wizard {
		h.setup = commerce.NewShopSetup(commerce.ShopSetupOptions{Store: st, Clock: commerce.ClockFunc(h.clock.Now), CacheTTL: time.Nanosecond})
		sellerOpts.Shop = h.setup
	}
	ro := bot.Options{
		Setup: h.setup, SetupWizard: o.wizard,
		Audience: audience, Broadcasts: broadcasts, Limiter: limiter, Log: o.log,
		Shop: h.shop, Sessions: sessions, Dedupe: st, Texts: texts, Pickup: h.pickup, Admins: o.admins, TrustWebIdentity: true,
		DecodeQR: decodeQR, Seller: commerce.NewSeller(sellerOpts),
		Drops: h.drops, DropLinks: testDropLinks, Persons: h.persons, LinkPages: testLinkPages, Desk: h.desk, Questions: h.questions, ConsoleLink: o.consoleLink,
		Restock: commerce.NewRestock(st, h.clock, 0),
		Events: func(e bot.Event) {
			if e == bot.EventOrderPlaced {
				h.placed.Add(1)
			}
		},
	}
	if o.options != nil {
		o.options(h, &ro)
	}
	h.router = bot.NewRouter(ro)
	return h
}

// id is the database id of a demo product.
func (h *harness) id(sku string) int64 {
	h.t.Helper()
	p, ok := h.prods[sku]
	if !ok {
		h.t.Fatalf("no demo product %s", sku)
	}
	return p.ID
}

// product reads a product's current state from the database.
func (h *harness) product(sku string) commerce.Product {
	h.t.Helper()
	p, err := h.store.Product(h.ctx, h.id(sku))
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

func (h *harness) stock(sku string) int { h.t.Helper(); return h.product(sku).Stock }

// setPrice changes a product's price in the database (a seller edit).
func (h *harness) setPrice(sku string, fen int64) {
	h.t.Helper()
	p := h.product(sku)
	p.Price = commerce.CNY(fen)
	if _, err := h.store.UpsertProduct(h.ctx, p); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) countOrders() int {
	h.t.Helper()
	var n int
	if err := h.store.DB().QueryRowContext(h.ctx, `SELECT COUNT(*) FROM orders`).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func (h *harness) orders(c *chat) []commerce.Order {
	h.t.Helper()
	list, err := h.store.OrdersByBuyer(h.ctx, commerce.Buyer{Channel: c.base.Channel, UserID: c.base.UserID}, 100)
	if err != nil {
		h.t.Fatal(err)
	}
	return list
}

// chat is one user in one chat talking to the harness's router.
type chat struct {
	h    *harness
	t    *testing.T
	base bot.Message
}

// user opens a private web chat with lang as the platform's language hint.
func (h *harness) user(t *testing.T, id, lang string) *chat {
	return &chat{h: h, t: t, base: bot.Message{Channel: bot.ChannelWeb, ChatID: id, UserID: id, FirstName: "Ann", Lang: lang}}
}

// inGroup is the same user writing in a group chat.
func (c *chat) inGroup(groupID string) *chat {
	g := *c
	g.base.ChatID, g.base.Group = groupID, true
	return &g
}

func (c *chat) lang() string {
	// Tests switch language through /lang; they track it on the chat.
	if l := templates.Match(c.base.Lang); l != "" {
		return l
	}
	return templates.Default
}

// catPage renders the heading of a category page.
func (c *chat) catPage(id int64, page int, more bool) string {
	c.t.Helper()
	cats, err := c.h.store.Categories(c.h.ctx)
	if err != nil {
		c.t.Fatal(err)
	}
	title := ""
	for _, cat := range cats {
		if cat.ID == id {
			title = cat.Title.In(c.lang())
		}
	}
	return c.tx("category_page", map[string]any{"Category": title, "Page": page, "More": more})
}

// tx renders a text in the chat's language.
func (c *chat) tx(key string, data any) string { return texts.Text(c.lang(), key, data) }

// handle delivers m (with a fresh update id unless one is set) and checks
// every reply for leaked internals.
func (c *chat) handle(m bot.Message) ([]bot.Reply, error) {
	c.t.Helper()
	if m.UpdateID == "" {
		m.UpdateID = "u" + strconv.FormatInt(c.h.upd.Add(1), 10)
	}
	replies, err := c.h.router.Handle(c.h.ctx, m)
	checkReplies(c.t, m, replies)
	checkRoutes(c.t, c.h.router, m, replies)
	return replies, err
}

func (c *chat) must(m bot.Message) []bot.Reply {
	c.t.Helper()
	replies, err := c.handle(m)
	if err != nil {
		c.t.Fatalf("Handle(%+q / %+q): %v", m.Text, m.Action, err)
	}
	if len(replies) == 0 {
		c.t.Fatalf("Handle(%+q / %+q): no replies", m.Text, m.Action)
	}
	return replies
}

// send delivers typed text.
func (c *chat) send(text string) []bot.Reply {
	c.t.Helper()
	m := c.base
	m.Text = text
	return c.must(m)
}

// sendPhoto sends a picture with an optional caption.
func (c *chat) sendPhoto(img []byte, caption string) []bot.Reply {
	c.t.Helper()
	m := c.base
	m.Photo, m.Text = img, caption
	return c.must(m)
}

// press delivers a button press.
func (c *chat) press(action string) []bot.Reply {
	c.t.Helper()
	m := c.base
	m.Action = action
	return c.must(m)
}

// checkRoutes fails the test for a button whose verb the router does not
// route: a button that could only ever be answered "no longer valid".
func checkRoutes(t *testing.T, r *bot.Router, m bot.Message, replies []bot.Reply) {
	t.Helper()
	for _, reply := range replies {
		for _, row := range reply.Buttons {
			for _, b := range row {
				if b.Action != "" && !r.HasRoute(b.Action) {
					t.Errorf("reply to %q/%q: button %q has action %q, which no route takes", m.Text, m.Action, b.Text, b.Action)
				}
			}
		}
	}
}

// leaks are fragments of internals that must never reach a user.
var leaks = []string{"sql", "error:", "%!", "<nil>", "context", "lock:", "sess:", "upd:", "goroutine", "panic", "runtime."}

// goErrors are texts of Go errors of the domain and the router.
var goErrors = regexp.MustCompile(`invalid quantity|price changed for|: reservation expired|invalid order status|` +
	`duplicate update|product unavailable|currency mismatch|invalid input|(product|order|qty|line) -?\d+|` +
	`\bcancelled → |pending → |missing idempotency|over cap|save session|load session|encode session`)

func checkReplies(t *testing.T, m bot.Message, replies []bot.Reply) {
	t.Helper()
	check := func(what, s string) {
		t.Helper()
		low := strings.ToLower(s)
		for _, l := range leaks {
			if strings.Contains(low, l) {
				t.Errorf("reply to %q/%q: %s %q contains %q", m.Text, m.Action, what, s, l)
			}
		}
		if goErrors.MatchString(s) {
			t.Errorf("reply to %q/%q: %s %q looks like a Go error", m.Text, m.Action, what, s)
		}
		if texts.Has(s) {
			t.Errorf("reply to %q/%q: %s is the bare template key %q (rendering failed?)", m.Text, m.Action, what, s)
		}
	}
	for _, r := range replies {
		if strings.TrimSpace(r.Text) == "" && r.Toast == "" {
			t.Errorf("reply to %q/%q: empty text", m.Text, m.Action)
		}
		check("toast", r.Toast)
		check("text", r.Text)
		for _, row := range r.Buttons {
			for _, b := range row {
				check("button", b.Text)
				if b.Action == "" && b.URL == "" {
					t.Errorf("reply to %q/%q: button %q has no action", m.Text, m.Action, b.Text)
				}
				if len(b.Action) > bot.MaxActionLen {
					t.Errorf("reply to %q/%q: button action %q over %d bytes", m.Text, m.Action, b.Action, bot.MaxActionLen)
				}
			}
		}
	}
}

// actions lists every button action of a reply, row by row.
func actions(r bot.Reply) [][]string {
	var out [][]string
	for _, row := range r.Buttons {
		var a []string
		for _, b := range row {
			a = append(a, b.Action)
		}
		out = append(out, a)
	}
	return out
}

func hasAction(r bot.Reply, action string) bool {
	for _, row := range r.Buttons {
		for _, b := range row {
			if b.Action == action {
				return true
			}
		}
	}
	return false
}

// findAction returns the first button action with the prefix.
func findAction(t *testing.T, r bot.Reply, prefix string) string {
	t.Helper()
	for _, row := range r.Buttons {
		for _, b := range row {
			if strings.HasPrefix(b.Action, prefix) {
				return b.Action
			}
		}
	}
	t.Fatalf("no button %q… in %q (buttons %v)", prefix, r.Text, actions(r))
	return ""
}

func wantText(t *testing.T, replies []bot.Reply, i int, want string) {
	t.Helper()
	if len(replies) <= i {
		t.Fatalf("got %d replies; want reply %d = %q", len(replies), i, want)
	}
	if replies[i].Text != want {
		t.Fatalf("reply %d =\n%s\nwant\n%s", i, replies[i].Text, want)
	}
}

// ---------------------------------------------------------------------------
// Language.

func TestStartGreetsInMessageLanguage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, c := range []struct{ hint, want string }{
		{"en", "en"},
		{"en-US", "en"},
		{"ru", "ru"},
		{"ru-RU", "ru"},
		{"zh-CN", "zh-CN"},
		{"zh", "zh-CN"},
		{"fr", "zh-CN"},
		{"xx", "zh-CN"},
		{"", "zh-CN"},
		{"!!not a tag!!", "zh-CN"},
	} {
		t.Run(c.hint, func(t *testing.T) {
			u := h.user(t, "start-"+c.hint, c.hint)
			r := u.send("/start")
			wantText(t, r, 0, texts.Text(c.want, "welcome", map[string]any{"Name": "Ann"}))
			if !hasAction(r[0], "cats") || !hasAction(r[0], "cart") || !hasAction(r[0], "o") || !hasAction(r[0], "lang") {
				t.Errorf("welcome lacks the main menu: %v", actions(r[0]))
			}
			// The session keeps the language even when the hint disappears.
			u.base.Lang = ""
			wantText(t, u.send("/help"), 0, texts.Text(c.want, "help", nil))
		})
	}
}

func TestLanguageSwitch(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(t, "lang-user", "en")
	wantText(t, u.send("/start"), 0, u.tx("welcome", map[string]any{"Name": "Ann"}))

	r := u.send("/lang")
	wantText(t, r, 0, u.tx("lang_choose", nil))
	if got, want := fmt.Sprint(actions(r[0])), "[[l:zh-CN l:en l:ru]]"; got != want {
		t.Errorf("language menu = %s; want %s", got, want)
	}

	wantText(t, u.send("/lang ru"), 0, texts.Text("ru", "lang_set", nil))
	wantText(t, u.send("/help"), 0, texts.Text("ru", "help", nil))
	wantText(t, u.press("cart"), 0, texts.Text("ru", "cart_empty", nil))
	wantText(t, u.send("what"), 0, texts.Text("ru", "search_none", map[string]any{"Ask": false}))

	for _, bad := range []string{"l:xx", "l:", "l:klingon", "l:" + strings.Repeat("a", 60)} {
		r := u.press(bad)
		wantText(t, r, 0, texts.Text("ru", "lang_choose", nil))
		if len(r[0].Buttons) != 1 || len(r[0].Buttons[0]) != 3 {
			t.Errorf("%s: language menu buttons %v", bad, actions(r[0]))
		}
	}
	wantText(t, u.send("/lang xx"), 0, texts.Text("ru", "lang_choose", nil))

	wantText(t, u.press("l:zh-CN"), 0, texts.Text("zh-CN", "lang_set", nil))
	wantText(t, u.send("/help"), 0, texts.Text("zh-CN", "help", nil))
	wantText(t, u.press("l:en"), 0, texts.Text("en", "lang_set", nil))
	wantText(t, u.send("/help"), 0, texts.Text("en", "help", nil))
}

// ---------------------------------------------------------------------------
// Browsing.

func TestBrowse(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(t, "browser", "en")

	r := u.press("cats")
	wantText(t, r, 0, u.tx("categories", nil))
	var catActions []string
	for _, row := range actions(r[0]) {
		for _, a := range row {
			if strings.HasPrefix(a, "cat:") {
				catActions = append(catActions, a)
			}
		}
	}
	var wantCats []string
	for _, c := range demo.Categories() {
		wantCats = append(wantCats, fmt.Sprintf("cat:%d:0", h.cats[c.Slug]))
	}
	if fmt.Sprint(catActions) != fmt.Sprint(wantCats) {
		t.Errorf("category buttons %v; want %v", catActions, wantCats)
	}

	cos := h.cats[demo.SlugCosmetics]
	r = u.press(fmt.Sprintf("cat:%d:0", cos))
	wantText(t, r, 0, u.catPage(cos, 1, false))
	if r[0].Text != "Cosmetics & skincare" {
		t.Errorf("category heading %q", r[0].Text)
	}
	if !r[0].Edit {
		t.Error("category page from a button is not an edit")
	}
	for _, sku := range []string{"COS-001", "COS-002", "COS-003", "COS-004"} {
		if !hasAction(r[0], fmt.Sprintf("p:%d", h.id(sku))) {
			t.Errorf("category page lacks %s: %v", sku, actions(r[0]))
		}
	}
	soldOut := h.prods["COS-004"]
	wantLabel := u.tx("product_button", map[string]any{"Title": soldOut.Title.In("en"), "Price": soldOut.Price, "SoldOut": true})
	found := false
	for _, row := range r[0].Buttons {
		for _, b := range row {
			if b.Action == fmt.Sprintf("p:%d", soldOut.ID) {
				found = b.Text == wantLabel
			}
		}
	}
	if !found {
		t.Errorf("sold-out product button is not labelled %q", wantLabel)
	}

	// A product card: picture, price, origin, stepper, add button.
	p := h.prods["COS-001"]
	r = u.press(fmt.Sprintf("p:%d", p.ID))
	wantText(t, r, 0, u.tx("product_card", map[string]any{
		"Title": p.Title.In("en"), "Description": p.Description.In("en"), "Price": p.Price,
		"Origin": u.tx("origin_bonded", nil), "Stock": p.Stock, "Low": false,
	}))
	if r[0].Image != "/img/demo:COS-001.png" {
		t.Errorf("image = %q; want /img/demo:COS-001.png", r[0].Image)
	}
	for _, frag := range []string{"¥159.00", "Bonded warehouse", "120 in stock"} {
		if !strings.Contains(r[0].Text, frag) {
			t.Errorf("product card lacks %q:\n%s", frag, r[0].Text)
		}
	}
	if r[0].Edit {
		t.Error("product card opened from a list is an edit")
	}
	wantRows := fmt.Sprintf("[[qn:min qn:qty q:%[1]d:2] [add:%[1]d:1:15900] [cat:%[2]d:0 cart]]", p.ID, cos)
	if got := fmt.Sprint(actions(r[0])); got != wantRows {
		t.Errorf("card buttons %s; want %s", got, wantRows)
	}

	// The stepper is bounded by the cap (10) and the stock (3 for COS-003).
	low := h.prods["COS-003"]
	for _, c := range []struct {
		action string
		want   string // button rows 0–1
	}{
		{fmt.Sprintf("q:%d:2", p.ID), fmt.Sprintf("[[q:%[1]d:1 qn:qty q:%[1]d:3] [add:%[1]d:2:15900]]", p.ID)},
		{fmt.Sprintf("q:%d:10", p.ID), fmt.Sprintf("[[q:%[1]d:9 qn:qty qn:max:10] [add:%[1]d:10:15900]]", p.ID)},
		{fmt.Sprintf("q:%d:1", low.ID), fmt.Sprintf("[[qn:min qn:qty q:%[1]d:2] [add:%[1]d:1:5900]]", low.ID)},
		{fmt.Sprintf("q:%d:3", low.ID), fmt.Sprintf("[[q:%[1]d:2 qn:qty qn:max:3] [add:%[1]d:3:5900]]", low.ID)},
		{fmt.Sprintf("q:%d:9", low.ID), fmt.Sprintf("[[q:%[1]d:2 qn:qty qn:max:3] [add:%[1]d:3:5900]]", low.ID)},
	} {
		r := u.press(c.action)
		if !r[0].Edit {
			t.Errorf("%s: stepper reply is not an edit", c.action)
		}
		if got := fmt.Sprint(actions(r[0])[:2]); got != c.want {
			t.Errorf("%s: buttons %s; want %s", c.action, got, c.want)
		}
	}
	r = u.press(fmt.Sprintf("p:%d", low.ID))
	if !strings.Contains(r[0].Text, "Only 3 left!") || !strings.Contains(r[0].Text, u.tx("origin_duty_paid", nil)) {
		t.Errorf("low-stock card:\n%s", r[0].Text)
	}
	for _, a := range []string{fmt.Sprintf("q:%d:11", p.ID), fmt.Sprintf("q:%d:0", p.ID), fmt.Sprintf("q:%d:-1", p.ID), fmt.Sprintf("q:%d:", p.ID), fmt.Sprintf("q:%d", p.ID)} {
		wantText(t, u.press(a), 0, u.tx("err_stale", nil))
	}

	// A sold-out card offers no stepper and no add button, but "Notify me".
	r = u.press(fmt.Sprintf("p:%d", soldOut.ID))
	if !strings.Contains(r[0].Text, "Sold out") || !strings.Contains(r[0].Text, u.tx("origin_direct_mail", nil)) {
		t.Errorf("sold-out card:\n%s", r[0].Text)
	}
	if got, want := fmt.Sprint(actions(r[0])), fmt.Sprintf("[[rsn:%d] [cat:%d:0 cart]]", soldOut.ID, cos); got != want {
		t.Errorf("sold-out card buttons %s; want %s", got, want)
	}

	// Unknown product and category.
	wantText(t, u.press("p:999999"), 0, u.tx("err_not_found", nil))
	wantText(t, u.press("cat:999999:0"), 0, u.tx("category_empty", nil))

	// Deep links.
	if r := u.send(fmt.Sprintf("/start p_%d", p.ID)); r[0].Image != "/img/demo:COS-001.png" {
		t.Errorf("/start p_<id> did not open the product: %q", r[0].Text)
	}
	wantText(t, u.send(fmt.Sprintf("/start c_%d", cos)), 0, u.catPage(cos, 1, false))
	wantText(t, u.send("/start junk"), 0, u.tx("welcome", map[string]any{"Name": "Ann"}))
	pts, err := h.store.PickupPoints(context.Background())
	if err != nil || len(pts) == 0 {
		t.Fatalf("pickup points: %v", err)
	}
	pt := pts[0]
	wantText(t, u.send(fmt.Sprintf("/start pt_%d", pt.ID)), 0, u.tx("point_card", map[string]any{
		"Point": pt.Name.In("en"), "City": pt.City.In("en"), "Address": pt.Address.In("en"), "Hours": pt.Hours}))
	wantText(t, u.send("/start pt_999999"), 0, u.tx("err_not_found", nil))
}

func TestBrowseRussianCard(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(t, "ru-browser", "ru")
	p := h.prods["SNK-004"]
	r := u.press(fmt.Sprintf("p:%d", p.ID))
	wantText(t, r, 0, texts.Text("ru", "product_card", map[string]any{
		"Title": p.Title.In("ru"), "Description": p.Description.In("ru"), "Price": p.Price,
		"Origin": texts.Text("ru", "origin_direct_mail", nil), "Stock": p.Stock, "Low": false,
	}))
	if !strings.Contains(r[0].Text, "58,00\u00a0¥") {
		t.Errorf("Russian price format missing:\n%s", r[0].Text)
	}
}

func TestPaging(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cat := h.cats[demo.SlugSnacks] // 4 demo products + 9 = 13: pages of 6, 6, 1
	for i := range 9 {
		if _, err := h.store.UpsertProduct(h.ctx, commerce.Product{
			SKU: fmt.Sprintf("EXTRA-%02d", i), CategoryID: cat, Title: commerce.Text{"en": fmt.Sprintf("Extra %d", i)},
			Price: commerce.CNY(1000 + int64(i)), Origin: commerce.OriginLocal, Stock: 5, Active: true,
		}); err != nil {
			t.Fatal(err)
		}
	}
	u := h.user(t, "pager", "en")
	next := func(page int) string { return fmt.Sprintf("cat:%d:%d", cat, page) }
	for _, c := range []struct {
		action    string
		page      int
		products  int
		prev, nxt string
	}{
		{next(0), 1, 6, "", next(1)},
		{next(1), 2, 6, next(0), next(2)},
		{next(2), 3, 1, next(1), ""},
		{next(3), 1, 6, "", next(1)},    // past the end: back to the first page
		{next(1000), 1, 6, "", next(1)}, // the largest page accepted
	} {
		r := u.press(c.action)
		wantText(t, r, 0, u.catPage(cat, c.page, true))
		if !r[0].Edit {
			t.Errorf("%s: page is not an edit", c.action)
		}
		n := 0
		for _, row := range actions(r[0]) {
			for _, a := range row {
				if strings.HasPrefix(a, "p:") {
					n++
				}
			}
		}
		if n != c.products {
			t.Errorf("%s: %d products; want %d", c.action, n, c.products)
		}
		if c.prev != "" && !hasAction(r[0], c.prev) || c.nxt != "" && !hasAction(r[0], c.nxt) {
			t.Errorf("%s: navigation %v; want prev %q next %q", c.action, actions(r[0]), c.prev, c.nxt)
		}
		if c.prev == "" && hasAction(r[0], next(c.page-2)) || c.nxt == "" && hasAction(r[0], next(c.page)) {
			t.Errorf("%s: unexpected navigation %v", c.action, actions(r[0]))
		}
	}
	wantText(t, u.press(next(1001)), 0, u.tx("err_stale", nil))
}

// ---------------------------------------------------------------------------
// Cart.

type cartLine struct {
	sku string
	qty int
}

// cartText renders the cart as the bot should show it, prices from the database.
func (c *chat) cartText(lines ...cartLine) string {
	c.t.Helper()
	if len(lines) == 0 {
		return c.tx("cart_empty", nil)
	}
	var rows []map[string]any
	var total commerce.Money
	units := 0
	for _, l := range lines {
		p := c.h.product(l.sku)
		lt := p.Price.Mul(l.qty)
		rows = append(rows, map[string]any{"Title": p.Title.In(c.lang()), "Qty": l.qty, "Unit": p.Price, "Total": lt})
		total, _ = total.Add(lt)
		units += l.qty
	}
	return c.tx("cart", map[string]any{"Lines": rows, "Total": total, "Units": units})
}

func (c *chat) wantCart(lines ...cartLine) {
	c.t.Helper()
	r := c.press("cart")
	wantText(c.t, r, len(r)-1, c.cartText(lines...))
}

func (c *chat) add(sku string, qty int) []bot.Reply {
	c.t.Helper()
	p := c.h.product(sku)
	return c.press(fmt.Sprintf("add:%d:%d:%d", p.ID, qty, p.Price.Amount))
}

func TestAddToCart(t *testing.T) {
	t.Parallel()
	type env struct {
		h *harness
		u *chat
	}
	cases := []struct {
		name string
		run  func(t *testing.T, e env)
	}{
		{"adds and totals from the database", func(t *testing.T, e env) {
			r := e.u.add("COS-001", 2)
			wantText(t, r, 0, e.u.tx("added", map[string]any{"Qty": 2, "Title": "Hyaluronic acid serum 30 ml", "Units": 2, "Total": commerce.CNY(31800)}))
			if !hasAction(r[0], "co") || !hasAction(r[0], "cart") {
				t.Errorf("added reply lacks cart/checkout: %v", actions(r[0]))
			}
			r = e.u.add("SNK-001", 1)
			wantText(t, r, 0, e.u.tx("added", map[string]any{"Qty": 1, "Title": "Matcha cream wafers, 12 bars", "Units": 3, "Total": commerce.CNY(36300)}))
			r = e.u.add("COS-001", 1) // merges with the line
			wantText(t, r, 0, e.u.tx("added", map[string]any{"Qty": 1, "Title": "Hyaluronic acid serum 30 ml", "Units": 4, "Total": commerce.CNY(52200)}))
			r = e.u.press("cart")
			wantText(t, r, 0, e.u.cartText(cartLine{"COS-001", 3}, cartLine{"SNK-001", 1}))
			if !strings.Contains(r[0].Text, "¥522.00") {
				t.Errorf("cart total:\n%s", r[0].Text)
			}
			if got := r[0].Buttons[0][1].Text; got != e.u.tx("cart_line_button", map[string]any{"Title": "Hyaluronic acid serum 30 ml", "Qty": 3}) {
				t.Errorf("line button %q", got)
			}
		}},
		{"quantity 0", func(t *testing.T, e env) {
			wantText(t, e.u.add("COS-001", 0), 0, e.u.tx("err_quantity", map[string]any{"Max": 10, "InCart": 0}))
			e.u.wantCart()
		}},
		{"negative quantity", func(t *testing.T, e env) {
			wantText(t, e.u.add("COS-001", -3), 0, e.u.tx("err_quantity", map[string]any{"Max": 10, "InCart": 0}))
			e.u.wantCart()
		}},
		{"quantity above the cap", func(t *testing.T, e env) {
			wantText(t, e.u.add("COS-001", 11), 0, e.u.tx("err_quantity", map[string]any{"Max": 10, "InCart": 0}))
			e.u.wantCart()
		}},
		{"cap counts what is already in the cart", func(t *testing.T, e env) {
			e.u.add("COS-001", 6)
			wantText(t, e.u.add("COS-001", 5), 0, e.u.tx("err_quantity", map[string]any{"Max": 10, "InCart": 6}))
			e.u.wantCart(cartLine{"COS-001", 6})
		}},
		{"non-numeric quantity", func(t *testing.T, e env) {
			id := e.h.id("COS-001")
			for _, a := range []string{fmt.Sprintf("add:%d:two:15900", id), fmt.Sprintf("add:%d:1:abc", id),
				fmt.Sprintf("add:%d:1.5:15900", id), fmt.Sprintf("add:%d::15900", id), fmt.Sprintf("add:%d:1", id),
				"add:x:1:15900", "add:0:1:15900", fmt.Sprintf("add:%d:99999999999999999999:15900", id)} {
				wantText(t, e.u.press(a), 0, e.u.tx("err_stale", nil))
			}
			e.u.wantCart()
		}},
		{"price changed after the card was shown", func(t *testing.T, e env) {
			p := e.h.prods["COS-001"]
			card := e.u.press(fmt.Sprintf("p:%d", p.ID))
			add := findAction(t, card[0], "add:")
			e.h.setPrice("COS-001", 17900)
			r := e.u.press(add)
			wantText(t, r, 0, e.u.tx("err_price_changed_card", map[string]any{"Title": p.Title.In("en"), "Price": commerce.CNY(17900)}))
			if len(r) != 2 || !hasAction(r[1], fmt.Sprintf("add:%d:1:17900", p.ID)) {
				t.Errorf("the card with the new price does not follow: %+v", r)
			}
			e.u.wantCart()
			// Adding from the fresh card works.
			e.u.press(fmt.Sprintf("add:%d:1:17900", p.ID))
			e.u.wantCart(cartLine{"COS-001", 1})
		}},
		{"sold out", func(t *testing.T, e env) {
			wantText(t, e.u.add("COS-004", 1), 0, e.u.tx("err_sold_out", nil))
			e.u.wantCart()
		}},
		{"more than the stock", func(t *testing.T, e env) {
			wantText(t, e.u.add("COS-003", 4), 0, e.u.tx("err_not_enough", map[string]any{"Left": 3, "InCart": 0}))
			e.u.add("COS-003", 2)
			r := e.u.add("COS-003", 2)
			wantText(t, r, 0, e.u.tx("err_not_enough", map[string]any{"Left": 3, "InCart": 2}))
			if !strings.Contains(r[0].Text, "Only 3 left and 2 already in your cart") {
				t.Errorf("err_not_enough: %q", r[0].Text)
			}
			e.u.wantCart(cartLine{"COS-003", 2})
		}},
		{"unknown product", func(t *testing.T, e env) {
			wantText(t, e.u.press("add:999999:1:100"), 0, e.u.tx("err_not_found", nil))
			e.u.wantCart()
		}},
		{"hidden product", func(t *testing.T, e env) {
			p := e.h.product("SNK-002")
			p.Active = false
			if _, err := e.h.store.UpsertProduct(e.h.ctx, p); err != nil {
				t.Fatal(err)
			}
			wantText(t, e.u.press(fmt.Sprintf("add:%d:1:%d", p.ID, p.Price.Amount)), 0, e.u.tx("err_unavailable", nil))
			wantText(t, e.u.press(fmt.Sprintf("p:%d", p.ID)), 0, e.u.tx("err_unavailable", nil))
			e.u.wantCart()
		}},
		{"a product hidden after adding drops from the cart", func(t *testing.T, e env) {
			e.u.add("SNK-002", 1)
			e.u.add("SNK-001", 1)
			p := e.h.product("SNK-002")
			p.Active = false
			if _, err := e.h.store.UpsertProduct(e.h.ctx, p); err != nil {
				t.Fatal(err)
			}
			r := e.u.press("cart")
			wantText(t, r, 0, e.u.tx("cart_dropped", map[string]any{"N": 1}))
			wantText(t, r, 1, e.u.cartText(cartLine{"SNK-001", 1}))
		}},
		{"Russian texts", func(t *testing.T, e env) {
			ru := e.h.user(t, "ru-adder", "ru")
			wantText(t, ru.add("COS-001", 11), 0, texts.Text("ru", "err_quantity", map[string]any{"Max": 10, "InCart": 0}))
			wantText(t, ru.add("COS-004", 1), 0, texts.Text("ru", "err_sold_out", nil))
			r := ru.add("COS-001", 2)
			wantText(t, r, 0, texts.Text("ru", "added", map[string]any{"Qty": 2, "Title": "Сыворотка с гиалуроновой кислотой, 30 мл", "Units": 2, "Total": commerce.CNY(31800)}))
			ru.wantCart(cartLine{"COS-001", 2})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			c.run(t, env{h: h, u: h.user(t, "adder", "en")})
		})
	}
}

func TestCartChanges(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(t, "carter", "en")
	a, b := h.id("COS-001"), h.id("SNK-001")
	u.add("COS-001", 1)
	u.add("SNK-001", 1)

	r := u.press(fmt.Sprintf("ci:%d", a))
	wantText(t, r, 0, u.cartText(cartLine{"COS-001", 2}, cartLine{"SNK-001", 1}))
	if !r[0].Edit {
		t.Error("cart change is not an edit")
	}
	wantText(t, u.press(fmt.Sprintf("cd:%d", a)), 0, u.cartText(cartLine{"COS-001", 1}, cartLine{"SNK-001", 1}))
	wantText(t, u.press(fmt.Sprintf("cd:%d", a)), 0, u.cartText(cartLine{"SNK-001", 1}))
	// Stale buttons of the removed line are harmless.
	for _, stale := range []string{"cd", "ci", "cr"} {
		wantText(t, u.press(fmt.Sprintf("%s:%d", stale, a)), 0, u.cartText(cartLine{"SNK-001", 1}))
	}
	wantText(t, u.press(fmt.Sprintf("cr:%d", b)), 0, u.tx("cart_empty", nil))
	wantText(t, u.press(fmt.Sprintf("cd:%d", b)), 0, u.tx("cart_empty", nil))

	u.add("COS-001", 2)
	u.add("SNK-001", 3)
	wantText(t, u.press("cc"), 0, u.tx("cart_empty", nil))
	wantText(t, u.press("cc"), 0, u.tx("cart_empty", nil))
	u.wantCart()

	// + beyond the stock and beyond the cap explain themselves and show the cart.
	u.add("COS-003", 3)
	r = u.press(fmt.Sprintf("ci:%d", h.id("COS-003")))
	wantText(t, r, 0, u.tx("err_not_enough", map[string]any{"Left": 3, "InCart": 3}))
	wantText(t, r, 1, u.cartText(cartLine{"COS-003", 3}))
	u.add("COS-001", 10)
	r = u.press(fmt.Sprintf("ci:%d", a))
	wantText(t, r, 0, u.tx("err_quantity", map[string]any{"Max": 10, "InCart": 10}))
	wantText(t, r, 1, u.cartText(cartLine{"COS-003", 3}, cartLine{"COS-001", 10}))
	u.wantCart(cartLine{"COS-003", 3}, cartLine{"COS-001", 10})
}

// ---------------------------------------------------------------------------
// Checkout.

const phone = "+86 138 0000 0000"

// ownPhone is a phone number of the chat's own: buyers who are different
// people give different numbers (the per-person limits count a number).
func (c *chat) ownPhone() string {
	n := 0
	for _, r := range c.base.Channel + c.base.UserID {
		n = (n*31 + int(r)) % 100000000
	}
	return fmt.Sprintf("+86 139 %04d %04d", n/10000, n%10000)
}

var orderNumber = regexp.MustCompile(`^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$`)

// toPhoneStep runs a checkout up to the phone question and returns the nonce.
func (c *chat) toPhoneStep(point commerce.PickupPoint) string {
	c.t.Helper()
	r := c.press("co")
	cp := findAction(c.t, r[0], "cp:")
	nonce := strings.Split(cp, ":")[1]
	wantText(c.t, c.press(fmt.Sprintf("cp:%s:%d", nonce, point.ID)), 0,
		c.tx("checkout_name", map[string]any{"Point": point.Name.In(c.lang()), "Address": point.Address.In(c.lang())}))
	wantText(c.t, c.send("Ann Lee"), 0, c.tx("checkout_phone", map[string]any{"Name": "Ann Lee"}))
	return nonce
}

// checkout places an order for what is in the cart and returns it.
func (c *chat) checkout() commerce.Order {
	c.t.Helper()
	return c.checkoutAt(c.h.points[0])
}

func (c *chat) checkoutAt(pt commerce.PickupPoint) commerce.Order {
	c.t.Helper()
	before := len(c.h.orders(c))
	c.toPhoneStep(pt)
	r := c.send(c.ownPhone())
	list := c.h.orders(c)
	if len(list) != before+1 {
		c.t.Fatalf("%d orders after checkout; want %d (reply %q)", len(list), before+1, r[0].Text)
	}
	o := list[0]
	if !strings.Contains(r[0].Text, "№"+o.Number) {
		c.t.Fatalf("order_review lacks the number %s:\n%s", o.Number, r[0].Text)
	}
	return o
}

func TestCheckoutHappyPath(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(t, "buyer", "en")
	pt := h.points[1]

	wantText(t, u.press("co"), 0, u.tx("cart_empty", nil))
	u.add("COS-001", 2)
	u.add("COS-003", 1)
	r := u.press("co")
	wantText(t, r, 0, u.tx("checkout_point", map[string]any{"Total": commerce.CNY(2*15900 + 5900), "Units": 3}))
	if len(r[0].Buttons) != len(h.points)+1 || !hasAction(r[0], "cx") {
		t.Fatalf("point buttons %v", actions(r[0]))
	}
	cp := findAction(t, r[0], "cp:")
	nonce := strings.Split(cp, ":")[1]
	for i, p := range h.points {
		want := fmt.Sprintf("cp:%s:%d", nonce, p.ID)
		if r[0].Buttons[i][0].Action != want {
			t.Errorf("point button %d = %q; want %q", i, r[0].Buttons[i][0].Action, want)
		}
	}

	// Wrong nonces and unknown points are stale; the checkout goes on.
	for _, a := range []string{"cp:bad:" + strconv.FormatInt(pt.ID, 10), "cp::" + strconv.FormatInt(pt.ID, 10),
		"cp:" + nonce + ":999999", "cp:" + nonce + ":0", "cp:" + nonce + ":x", "cp:" + nonce, "cn:" + nonce, "cph:" + nonce} {
		wantText(t, u.press(a), 0, u.tx("err_stale", nil))
	}

	r = u.press(fmt.Sprintf("cp:%s:%d", nonce, pt.ID))
	wantText(t, r, 0, u.tx("checkout_name", map[string]any{"Point": pt.Name.In("en"), "Address": pt.Address.In("en")}))
	if hasAction(r[0], "cn:"+nonce) {
		t.Error("a first-time buyer is offered a remembered name")
	}

	// Invalid names keep the step.
	for _, bad := range []string{"   ", strings.Repeat("x", 41), "<script>", "a{b}"} {
		wantText(t, u.send(bad), 0, u.tx("err_name", nil))
	}
	r = u.send("  Ann   Lee ")
	wantText(t, r, 0, u.tx("checkout_phone", map[string]any{"Name": "Ann Lee"}))
	if !r[0].AskPhone {
		t.Error("the phone step does not offer sharing the phone (Reply.AskPhone)")
	}

	// Invalid phones keep the step.
	for _, bad := range []string{"abc", "123", "+86 138 0000 0000 0000 0", "86+1380000", "138-0000-0000 ext 5", "   "} {
		wantText(t, u.send(bad), 0, u.tx("err_phone", nil))
	}
	if n := h.countOrders(); n != 0 {
		t.Fatalf("%d orders before a valid phone", n)
	}

	// The same phone delivered twice with one update id: one order.
	m := u.base
	m.Text, m.UpdateID = phone, "phone-1"
	r, err := u.handle(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.handle(m); !errors.Is(err, bot.ErrDuplicate) {
		t.Fatalf("second delivery: err = %v; want ErrDuplicate", err)
	}
	if n := h.countOrders(); n != 1 {
		t.Fatalf("%d orders; want 1", n)
	}
	if got := h.placed.Load(); got != 1 {
		t.Errorf("EventOrderPlaced reported %d times; want 1", got)
	}
	o := h.orders(u)[0]
	if !orderNumber.MatchString(o.Number) {
		t.Errorf("order number %q is not 6 characters of the alphabet", o.Number)
	}
	if o.Status != commerce.StatusPending || o.Total != commerce.CNY(2*15900+5900) || o.PickupPointID != pt.ID ||
		o.ContactName != "Ann Lee" || o.Phone != "+8613800000000" || o.ChatID != "buyer" || o.Lang != "en" {
		t.Errorf("order = %+v", o)
	}
	if !strings.HasPrefix(r[0].Text, "Order №"+o.Number+" — your items are reserved for 15 min.") {
		t.Errorf("order_review:\n%s", r[0].Text)
	}
	for _, frag := range []string{"Hyaluronic acid serum 30 ml × 2 — ¥318.00", "Total: ¥377.00", pt.Address.In("en"),
		"••••••••••0000", "2030-05-01 18:00", u.tx("btn_confirm", nil)} {
		if !strings.Contains(r[0].Text+r[0].Buttons[0][0].Text, frag) {
			t.Errorf("order_review lacks %q:\n%s", frag, r[0].Text)
		}
	}
	if strings.Contains(r[0].Text, "13800000000") {
		t.Errorf("order_review shows the full phone:\n%s", r[0].Text)
	}
	oc, ox := fmt.Sprintf("oc:%d", o.ID), fmt.Sprintf("ox:%d", o.ID)
	if got, want := fmt.Sprint(actions(r[0])), fmt.Sprintf("[[%s] [%s] [o cats]]", oc, ox); got != want {
		t.Errorf("order_review buttons %s; want %s", got, want)
	}
	if s := h.stock("COS-001"); s != 118 {
		t.Errorf("COS-001 stock %d after the order; want 118", s)
	}
	if s := h.stock("COS-003"); s != 2 {
		t.Errorf("COS-003 stock %d after the order; want 2", s)
	}
	u.wantCart() // the cart is emptied
	wantText(t, u.send(phone), 0, u.tx("help_unknown", nil))

	// Another buyer cannot see or touch the order.
	mallory := h.user(t, "mallory", "en")
	for _, a := range []string{oc, fmt.Sprintf("os:%d", o.ID), ox, fmt.Sprintf("oxy:%d", o.ID)} {
		wantText(t, mallory.press(a), 0, mallory.tx("err_not_found", nil))
	}
	// Nor can the same user id on another channel.
	tg := h.user(t, "buyer", "en")
	tg.base.Channel = bot.ChannelTelegram
	wantText(t, tg.press(oc), 0, tg.tx("err_not_found", nil))
	if got, _ := h.store.Order(h.ctx, o.ID); got.Status != commerce.StatusPending {
		t.Fatalf("status %s after another buyer's attempts", got.Status)
	}

	// Confirm, twice.
	for range 2 {
		r = u.press(oc)
		wantText(t, r, 0, u.tx("order_confirmed", map[string]any{
			"Number": o.Number, "Status": u.tx("status_confirmed", nil), "Lines": []map[string]any{
				{"Title": "Hyaluronic acid serum 30 ml", "Qty": 2, "Total": commerce.CNY(31800)},
				{"Title": "Rice-water cleansing foam 120 g", "Qty": 1, "Total": commerce.CNY(5900)},
			}, "Total": commerce.CNY(37700), "Point": pt.Name.In("en"), "City": pt.City.In("en"), "Address": pt.Address.In("en"),
			"Hours": pt.Hours, "Name": "Ann Lee", "Phone": "••••••••••0000", "Minutes": 15, "Date": "2030-05-01 18:00", "Pending": false,
		}))
		if hasAction(r[0], oc) || !hasAction(r[0], ox) {
			t.Errorf("confirmed order buttons %v", actions(r[0]))
		}
	}
	if got, _ := h.store.Order(h.ctx, o.ID); got.Status != commerce.StatusConfirmed {
		t.Fatalf("status %s; want confirmed", got.Status)
	}
	r = u.press(fmt.Sprintf("os:%d", o.ID))
	if !strings.HasPrefix(r[0].Text, "Order №"+o.Number+" · "+u.tx("status_confirmed", nil)) {
		t.Errorf("order_details:\n%s", r[0].Text)
	}

	// Cancel: ask, confirm, stock returns; a second cancel is harmless.
	r = u.press(ox)
	wantText(t, r, 0, u.tx("order_cancel_ask", map[string]any{"Number": o.Number}))
	if got, want := fmt.Sprint(actions(r[0])), fmt.Sprintf("[[oxy:%d os:%d]]", o.ID, o.ID); got != want {
		t.Errorf("cancel question buttons %s; want %s", got, want)
	}
	for range 2 {
		wantText(t, u.press(fmt.Sprintf("oxy:%d", o.ID)), 0, u.tx("order_cancelled", map[string]any{"Number": o.Number}))
	}
	if s := h.stock("COS-001"); s != 120 {
		t.Errorf("COS-001 stock %d after cancel; want 120", s)
	}
	if s := h.stock("COS-003"); s != 3 {
		t.Errorf("COS-003 stock %d after cancel; want 3", s)
	}
	wantText(t, u.press(oc), 0, u.tx("err_cannot_change", nil))
	wantText(t, u.press(ox), 0, u.tx("err_cannot_change", nil))
	if got, _ := h.store.Order(h.ctx, o.ID); got.Status != commerce.StatusCancelled {
		t.Fatalf("status %s; want cancelled", got.Status)
	}
	if n := h.countOrders(); n != 1 {
		t.Fatalf("%d orders; want 1", n)
	}

	// A second checkout offers the remembered name and phone.
	u.add("SNK-001", 1)
	r = u.press("co")
	nonce2 := strings.Split(findAction(t, r[0], "cp:"), ":")[1]
	if nonce2 == nonce {
		t.Error("a new checkout reuses the nonce")
	}
	wantText(t, u.press(fmt.Sprintf("cp:%s:%d", nonce, pt.ID)), 0, u.tx("err_stale", nil)) // the old checkout's button
	r = u.press(fmt.Sprintf("cp:%s:%d", nonce2, pt.ID))
	if r[0].Buttons[0][0].Action != "cn:"+nonce2 || r[0].Buttons[0][0].Text != u.tx("btn_use", map[string]any{"Value": "Ann Lee"}) {
		t.Fatalf("remembered name button: %+v", r[0].Buttons)
	}
	r = u.press("cn:" + nonce2)
	wantText(t, r, 0, u.tx("checkout_phone", map[string]any{"Name": "Ann Lee"}))
	if r[0].Buttons[0][0].Action != "cph:"+nonce2 || r[0].Buttons[0][0].Text != u.tx("btn_use", map[string]any{"Value": "••••••••••0000"}) {
		t.Fatalf("remembered phone button: %+v", r[0].Buttons)
	}
	r = u.press("cph:" + nonce2)
	if n := h.countOrders(); n != 2 {
		t.Fatalf("%d orders after the one-tap checkout; want 2 (%q)", n, r[0].Text)
	}
	wantText(t, u.press("cph:"+nonce2), 0, u.tx("err_stale", nil))
	if n := h.countOrders(); n != 2 {
		t.Fatalf("%d orders after a stale cph; want 2", n)
	}
}

func TestCheckoutCancelAndLeave(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(t, "leaver", "en")
	u.add("SNK-001", 1)
	nonce := u.toPhoneStep(h.points[0])
	wantText(t, u.press("cx"), 0, u.cartText(cartLine{"SNK-001", 1}))
	wantText(t, u.send(phone), 0, u.tx("help_unknown", nil))
	wantText(t, u.press(fmt.Sprintf("cp:%s:%d", nonce, h.points[0].ID)), 0, u.tx("err_stale", nil))

	u.toPhoneStep(h.points[0])
	wantText(t, u.send("/cancel"), 0, u.tx("checkout_left", nil))
	wantText(t, u.send(phone), 0, u.tx("help_unknown", nil))
	u.wantCart(cartLine{"SNK-001", 1})
	if n := h.countOrders(); n != 0 {
		t.Fatalf("%d orders; want 0", n)
	}
}

func TestCheckoutPriceChanged(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(t, "pricey", "en")
	u.add("COS-001", 1)
	u.add("SNK-001", 2)
	u.toPhoneStep(h.points[0])
	h.setPrice("COS-001", 16900)

	r := u.send(phone)
	wantText(t, r, 0, u.tx("err_price_changed", nil))
	wantText(t, r, 1, u.cartText(cartLine{"COS-001", 1}, cartLine{"SNK-001", 2}))
	if !strings.Contains(r[1].Text, "¥169.00") || !strings.Contains(r[1].Text, "Total: ¥259.00") {
		t.Errorf("cart does not show the new price:\n%s", r[1].Text)
	}
	if n := h.countOrders(); n != 0 {
		t.Fatalf("%d orders after a price change; want 0", n)
	}
	if s := h.stock("COS-001"); s != 120 {
		t.Errorf("stock %d; want 120 (nothing reserved)", s)
	}
	wantText(t, u.send(phone), 0, u.tx("help_unknown", nil)) // the checkout was reset

	// Checking out again charges the new price.
	o := u.checkout()
	if o.Total != commerce.CNY(16900+2*4500) {
		t.Errorf("order total %v; want 259.00", o.Total)
	}
}

func TestCheckoutPriceChangedBeforeCheckout(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(t, "early", "en")
	u.add("COS-001", 1)
	h.setPrice("COS-001", 16900)
	// The checkout's first screen shows the total at the new price, so the
	// buyer has seen it before confirming the order.
	wantText(t, u.press("co"), 0, u.tx("checkout_point", map[string]any{"Total": commerce.CNY(16900), "Units": 1}))
}

func TestCheckoutStockGoneMeanwhile(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b := h.user(t, "first", "en"), h.user(t, "second", "en")
	a.add("COS-003", 3)
	b.add("COS-003", 2)
	b.toPhoneStep(h.points[0])
	a.checkout()
	r := b.send(phone)
	wantText(t, r, 0, b.tx("err_checkout_stock", nil))
	if n := h.countOrders(); n != 1 {
		t.Fatalf("%d orders; want 1", n)
	}
	if s := h.stock("COS-003"); s != 0 {
		t.Fatalf("stock %d; want 0", s)
	}
}

func TestReservationExpiry(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		advance time.Duration
		expired bool
	}{
		{"just before", 15*time.Minute - time.Second, false},
		{"exactly at", 15 * time.Minute, true},
		{"after", 16 * time.Minute, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			u := h.user(t, "sleepy", "en")
			u.add("COS-003", 2)
			o := u.checkout()
			if s := h.stock("COS-003"); s != 1 {
				t.Fatalf("stock %d while reserved; want 1", s)
			}
			h.clock.Advance(c.advance)
			r := u.press(fmt.Sprintf("oc:%d", o.ID))
			got, err := h.store.Order(h.ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !c.expired {
				if got.Status != commerce.StatusConfirmed || !strings.HasPrefix(r[0].Text, "✅ Order №"+o.Number) {
					t.Fatalf("status %s, reply %q; want confirmed", got.Status, r[0].Text)
				}
				return
			}
			wantText(t, r, 0, u.tx("err_expired", nil))
			if got.Status != commerce.StatusCancelled {
				t.Errorf("status %s; want cancelled", got.Status)
			}
			if s := h.stock("COS-003"); s != 3 {
				t.Errorf("stock %d after expiry; want 3", s)
			}
			wantText(t, u.press(fmt.Sprintf("oc:%d", o.ID)), 0, u.tx("err_cannot_change", nil))
			if s := h.stock("COS-003"); s != 3 {
				t.Errorf("stock %d after a second confirm; want 3", s)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Orders.

func TestOrdersList(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(t, "lister", "ru")
	wantText(t, u.press("o"), 0, texts.Text("ru", "orders_empty", nil))

	u.add("COS-001", 1)
	first := u.checkout()
	u.press(fmt.Sprintf("oc:%d", first.ID))
	h.clock.Advance(time.Minute)
	u.add("SNK-001", 2)
	second := u.checkout()

	for _, how := range []func() []bot.Reply{func() []bot.Reply { return u.press("o") }, func() []bot.Reply { return u.send("/orders") }} {
		r := how()
		want := texts.Text("ru", "orders", map[string]any{"Orders": []map[string]any{
			{"Number": second.Number, "Status": texts.Text("ru", "status_pending", nil), "Total": commerce.CNY(9000), "Date": "2030-05-01 18:01"},
			{"Number": first.Number, "Status": texts.Text("ru", "status_confirmed", nil), "Total": commerce.CNY(15900), "Date": "2030-05-01 18:00"},
		}})
		wantText(t, r, 0, want)
		if got, want := fmt.Sprint(actions(r[0])), fmt.Sprintf("[[os:%d] [os:%d] [cats]]", second.ID, first.ID); got != want {
			t.Errorf("orders buttons %s; want %s", got, want)
		}
		if r[0].Buttons[0][0].Text != texts.Text("ru", "order_button", map[string]any{"Number": second.Number, "Status": texts.Text("ru", "status_pending", nil)}) {
			t.Errorf("order button %q", r[0].Buttons[0][0].Text)
		}
	}
	r := u.press(fmt.Sprintf("os:%d", second.ID))
	if !strings.Contains(r[0].Text, "№"+second.Number) {
		t.Errorf("order_details:\n%s", r[0].Text)
	}
	if !strings.Contains(r[0].Text, texts.Text("ru", "status_pending", nil)) {
		t.Errorf("order_details lacks the status:\n%s", r[0].Text)
	}
}

// ---------------------------------------------------------------------------
// Garbage in.

func TestGarbage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	long := strings.Repeat("a", 5000)
	for _, c := range []struct {
		name         string
		text, action string
		want         string
	}{
		{"unknown command", "/nope", "", "help_unknown"},
		{"unknown command with bot name", "/nope@ShopBot arg", "", "help_unknown"},
		{"plain text", "hello", "", "search_none"},
		{"very long text", long, "", "help_unknown"},
		{"very long command", "/start " + long, "", "help_unknown"},
		{"long cyrillic text", strings.Repeat("я", 3000), "", "help_unknown"},
		{"invalid utf-8", "\xff\xfe\xfd", "", "help_unknown"},
		{"nul bytes", "\x00\x00", "", "help_unknown"},
		{"whitespace", " \t\n ", "", "help_unknown"},
		{"template syntax", "{{.Name}} %v %!s(<nil>)", "", "search_none"},
		{"start with bot name", "/START@ShopBot", "", "welcome"},
		{"help", "/help", "", "help"},
		{"home", "", "home", "menu"},
		{"action over 64 bytes", "", "p:" + strings.Repeat("1", 63), "err_stale"},
		{"action of 65 bytes of a valid verb", "", "cats:" + strings.Repeat("x", 60), "err_stale"},
		{"category not a number", "", "cat:abc:0", "err_stale"},
		{"category without page", "", "cat:1", "err_stale"},
		{"category negative page", "", "cat:1:-1", "err_stale"},
		{"category empty id", "", "cat::0", "err_stale"},
		{"product -1", "", "p:-1", "err_stale"},
		{"product 0", "", "p:0", "err_stale"},
		{"product empty", "", "p:", "err_stale"},
		{"product no colon", "", "p", "err_stale"},
		{"product overflow", "", "p:99999999999999999999", "err_stale"},
		{"product hex", "", "p:0x10", "err_stale"},
		{"product spaces", "", "p: 1", "err_stale"},
		{"unknown verb", "", "zz:1", "err_stale"},
		{"colons only", "", "::::", "err_stale"},
		{"one colon", "", ":", "err_stale"},
		{"stepper empty", "", "q::", "err_stale"},
		{"add empty", "", "add:::", "err_stale"},
		{"cart line empty", "", "ci:", "err_stale"},
		{"cart line letters", "", "cd:x", "err_stale"},
		{"cart remove zero", "", "cr:0", "err_stale"},
		{"point without checkout", "", "cp::1", "err_stale"},
		{"name without checkout", "", "cn:", "err_stale"},
		{"phone without checkout", "", "cph:", "err_stale"},
		{"order 0", "", "os:0", "err_stale"},
		{"confirm negative", "", "oc:-5", "err_stale"},
		{"cancel empty", "", "ox:", "err_stale"},
		{"cancel yes letters", "", "oxy:abc", "err_stale"},
		{"unknown order", "", "os:424242", "err_not_found"},
		{"unknown order confirm", "", "oc:424242", "err_not_found"},
		{"unknown order cancel", "", "oxy:424242", "err_not_found"},
		{"newline in action", "", "p:1\n", "err_stale"},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := h.user(t, "garbage", "en")
			m := u.base
			m.Text, m.Action = c.text, c.action
			r := u.must(m)
			want := u.tx(c.want, map[string]any{"Name": "Ann", "Ask": false})
			wantText(t, r, 0, want)
			if c.want == "err_stale" && len(r[0].Buttons) == 0 {
				t.Error("stale answer without the menu")
			}
		})
	}
	if n := h.countOrders(); n != 0 {
		t.Fatalf("garbage created %d orders", n)
	}
}

// ---------------------------------------------------------------------------
// Groups.

func TestGroupSessionIsSeparate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	private := h.user(t, "u1", "en")
	group := private.inGroup("-100group")
	other := h.user(t, "u2", "en").inGroup("-100group")

	private.add("COS-001", 2)
	group.wantCart()
	group.add("SNK-001", 1)
	group.wantCart(cartLine{"SNK-001", 1})
	private.wantCart(cartLine{"COS-001", 2})
	other.wantCart()

	wantText(t, group.press("co"), 0, group.tx("checkout_private", nil))
	wantText(t, group.send(phone), 0, group.tx("help_unknown", nil))
	if n := h.countOrders(); n != 0 {
		t.Fatalf("%d orders from a group", n)
	}
	// The language chosen in the group stays in the group.
	wantText(t, group.send("/lang ru"), 0, texts.Text("ru", "lang_set", nil))
	wantText(t, private.send("/help"), 0, private.tx("help", nil))
	wantText(t, group.send("/help"), 0, texts.Text("ru", "help", nil))

	if k1, k2 := bot.SessionKey(private.base), bot.SessionKey(group.base); k1 == k2 {
		t.Fatalf("private and group share session key %q", k1)
	}
	if k1, k2 := bot.SessionKey(group.base), bot.SessionKey(other.base); k1 == k2 {
		t.Fatalf("two users in a group share session key %q", k1)
	}
	private.checkout()
}

// ---------------------------------------------------------------------------
// Concurrency.

func TestConcurrentPhoneMessages(t *testing.T) {
	t.Parallel()
	for _, sameUpdate := range []bool{false, true} {
		t.Run(fmt.Sprintf("same update id %v", sameUpdate), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			u := h.user(t, "racer", "en")
			u.add("COS-003", 1)
			u.toPhoneStep(h.points[0])

			const workers = 20
			var (
				wg      sync.WaitGroup
				start   = make(chan struct{})
				replies = make([][]bot.Reply, workers)
				errs    = make([]error, workers)
			)
			for i := range workers {
				wg.Go(func() {
					m := u.base
					m.Text = phone
					m.UpdateID = fmt.Sprintf("race-%d", i)
					if sameUpdate {
						m.UpdateID = "race"
					}
					<-start
					replies[i], errs[i] = h.router.Handle(h.ctx, m)
				})
			}
			close(start)
			wg.Wait()

			reviews, dups := 0, 0
			for i := range workers {
				checkReplies(t, bot.Message{Text: phone}, replies[i])
				switch {
				case errors.Is(errs[i], bot.ErrDuplicate):
					dups++
				case errs[i] != nil:
					t.Errorf("worker %d: %v", i, errs[i])
				case strings.HasPrefix(replies[i][0].Text, "Order №"):
					reviews++
				case replies[i][0].Text != u.tx("help_unknown", nil):
					t.Errorf("worker %d: unexpected reply %q", i, replies[i][0].Text)
				}
			}
			if n := h.countOrders(); n != 1 {
				t.Fatalf("%d orders; want exactly 1", n)
			}
			if reviews != 1 {
				t.Errorf("%d order reviews; want 1", reviews)
			}
			if sameUpdate && dups != workers-1 {
				t.Errorf("%d duplicates; want %d", dups, workers-1)
			}
			if !sameUpdate && dups != 0 {
				t.Errorf("%d duplicates; want 0", dups)
			}
			if got := h.placed.Load(); got != 1 {
				t.Errorf("EventOrderPlaced %d; want 1", got)
			}
			if s := h.stock("COS-003"); s != 2 {
				t.Errorf("stock %d; want 2", s)
			}
		})
	}
}

func TestConcurrentBuyersShareStock(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const buyers = 6 // COS-003 has 3 units
	var chats []*chat
	for i := range buyers {
		u := h.user(t, fmt.Sprintf("rush-%d", i), "en")
		u.add("COS-003", 1)
		u.toPhoneStep(h.points[0])
		chats = append(chats, u)
	}
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		replies = make([][]bot.Reply, buyers)
		errs    = make([]error, buyers)
	)
	for i, u := range chats {
		wg.Go(func() {
			m := u.base
			m.Text, m.UpdateID = u.ownPhone(), fmt.Sprintf("rush-%d", i)
			<-start
			replies[i], errs[i] = h.router.Handle(h.ctx, m)
		})
	}
	close(start)
	wg.Wait()
	placed, soldOut := 0, 0
	for i := range buyers {
		checkReplies(t, bot.Message{Text: chats[i].ownPhone()}, replies[i])
		switch {
		case errs[i] != nil:
			t.Errorf("buyer %d: %v", i, errs[i])
		case strings.HasPrefix(replies[i][0].Text, "Order №"):
			placed++
		case replies[i][0].Text == chats[i].tx("err_checkout_stock", nil):
			soldOut++
		default:
			t.Errorf("buyer %d: unexpected reply %q", i, replies[i][0].Text)
		}
	}
	if placed != 3 || soldOut != buyers-3 {
		t.Errorf("%d placed, %d sold out; want 3 and %d", placed, soldOut, buyers-3)
	}
	if n := h.countOrders(); n != 3 {
		t.Errorf("%d orders; want 3", n)
	}
	if s := h.stock("COS-003"); s != 0 {
		t.Errorf("stock %d; want 0", s)
	}
}

// ---------------------------------------------------------------------------
// Session store failures.

// flakySessions wraps a SessionStore with injected failures.
type flakySessions struct {
	chatstate.SessionStore
	conflicts atomic.Int64 // saves still to answer with ErrConflict
	failLoad  atomic.Bool
	failSave  atomic.Bool
	saves     atomic.Int64
}

var errDriver = errors.New("sqlite: database is locked (5) (SQLITE_BUSY): context deadline exceeded")

func (f *flakySessions) LoadSession(ctx context.Context, key string) ([]byte, int64, error) {
	if f.failLoad.Load() {
		return nil, 0, fmt.Errorf("load %s: %w", key, errDriver)
	}
	return f.SessionStore.LoadSession(ctx, key)
}

func (f *flakySessions) SaveSession(ctx context.Context, key string, data []byte, version int64, ttl time.Duration) (int64, error) {
	f.saves.Add(1)
	if f.failSave.Load() {
		return 0, fmt.Errorf("save %s: %w", key, errDriver)
	}
	if f.conflicts.Add(-1) >= 0 {
		return 0, fmt.Errorf("save %s v%d: %w", key, version, commerce.ErrConflict)
	}
	return f.SessionStore.SaveSession(ctx, key, data, version, ttl)
}

func newFlaky(t *testing.T) (*harness, *flakySessions) {
	var f *flakySessions
	h := newHarness(t, harnessOptions{wrapSessions: func(s chatstate.SessionStore) chatstate.SessionStore {
		f = &flakySessions{SessionStore: s}
		return f
	}})
	return h, f
}

func TestSessionConflictIsRetried(t *testing.T) {
	t.Parallel()
	h, f := newFlaky(t)
	u := h.user(t, "conflicted", "en")
	f.conflicts.Store(1)
	r := u.add("COS-001", 2)
	wantText(t, r, 0, u.tx("added", map[string]any{"Qty": 2, "Title": "Hyaluronic acid serum 30 ml", "Units": 2, "Total": commerce.CNY(31800)}))
	if n := f.saves.Load(); n != 2 {
		t.Errorf("%d saves; want 2 (one conflict, one retry)", n)
	}
	u.wantCart(cartLine{"COS-001", 2}) // the step ran again on the reloaded session, not twice on one cart

	// A conflict while placing an order must not create two orders.
	u.toPhoneStep(h.points[0])
	f.conflicts.Store(1)
	r = u.send(phone)
	if !strings.HasPrefix(r[0].Text, "Order №") {
		t.Fatalf("reply %q; want the order review", r[0].Text)
	}
	if n := h.countOrders(); n != 1 {
		t.Fatalf("%d orders after a retried save; want 1", n)
	}
	if s := h.stock("COS-001"); s != 118 {
		t.Errorf("stock %d; want 118", s)
	}
}

func TestSessionConflictGivesUp(t *testing.T) {
	t.Parallel()
	h, f := newFlaky(t)
	u := h.user(t, "always-conflicted", "ru")
	f.conflicts.Store(1 << 30)
	m := u.base
	m.Text, m.UpdateID = "/start", "conflict-1"
	r, err := u.handle(m)
	if !errors.Is(err, commerce.ErrConflict) {
		t.Fatalf("err = %v; want ErrConflict", err)
	}
	wantText(t, r, 0, texts.Text("ru", "error_internal", nil))
	if n := f.saves.Load(); n < 2 || n > 10 {
		t.Errorf("%d save attempts; want a few", n)
	}
	f.conflicts.Store(0)
	r, err = u.handle(m)
	if err != nil {
		t.Fatalf("redelivery after the conflicts: %v", err)
	}
	wantText(t, r, 0, texts.Text("ru", "welcome", map[string]any{"Name": "Ann"}))
}

func TestSessionStoreFailure(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		fail func(f *flakySessions, on bool)
	}{
		{"load", func(f *flakySessions, on bool) { f.failLoad.Store(on) }},
		{"save", func(f *flakySessions, on bool) { f.failSave.Store(on) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h, f := newFlaky(t)
			for _, lang := range []string{"en", "ru", "zh-CN", ""} {
				u := h.user(t, "failing-"+lang, lang)
				want := lang
				if want == "" {
					want = templates.Default
				}
				c.fail(f, true)
				m := u.base
				m.Action, m.UpdateID = fmt.Sprintf("add:%d:1:15900", h.id("COS-001")), "fail-"+lang
				r, err := u.handle(m)
				if err == nil || errors.Is(err, bot.ErrDuplicate) {
					t.Fatalf("%s: err = %v; want the store's error", lang, err)
				}
				if !errors.Is(err, errDriver) {
					t.Errorf("%s: err = %v; want it to wrap the store's error", lang, err)
				}
				wantText(t, r, 0, texts.Text(want, "error_internal", nil))

				// The claim was released: the redelivery is processed.
				c.fail(f, false)
				r, err = u.handle(m)
				if err != nil {
					t.Fatalf("%s: redelivery: %v", lang, err)
				}
				wantText(t, r, 0, texts.Text(want, "added", map[string]any{"Qty": 1, "Title": h.prods["COS-001"].Title.In(want), "Units": 1, "Total": commerce.CNY(15900)}))
				if _, err := u.handle(m); !errors.Is(err, bot.ErrDuplicate) {
					t.Fatalf("%s: third delivery: err = %v; want ErrDuplicate", lang, err)
				}
				u.wantCart(cartLine{"COS-001", 1})
			}
		})
	}
}

// ---------------------------------------------------------------------------
// State that changed under a checkout in progress.

func TestCheckoutUnderChangedState(t *testing.T) {
	t.Parallel()
	t.Run("cap lowered after adding", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		u := h.user(t, "capped", "en")
		u.add("COS-001", 8)
		u.toPhoneStep(h.points[0])
		// The operator restarts with a lower per-product cap.
		h.router = bot.NewRouter(bot.Options{
			Shop:     commerce.NewShop(commerce.ShopOptions{Store: h.store, Clock: commerce.ClockFunc(h.clock.Now), MaxQtyPerLine: 5}),
			Sessions: h.store, Dedupe: h.store, Texts: texts,
		})
		wantText(t, u.send(phone), 0, u.tx("err_quantity", map[string]any{"Max": 5, "InCart": 0}))
		if n := h.countOrders(); n != 0 {
			t.Fatalf("%d orders over the cap", n)
		}
		r := u.press(fmt.Sprintf("cd:%d", h.id("COS-001")))
		wantText(t, r, 0, u.tx("err_quantity", map[string]any{"Max": 5, "InCart": 8}))
	})
	t.Run("cart emptied at the phone step", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		u := h.user(t, "emptied", "en")
		u.add("SNK-001", 1)
		u.toPhoneStep(h.points[0])
		wantText(t, u.press("cc"), 0, u.tx("cart_empty", nil))
		wantText(t, u.send(phone), 0, u.tx("cart_empty", nil))
		// The checkout is over: typed text is no longer taken for a phone.
		wantText(t, u.send("hello"), 0, u.nothingFound())
		if n := h.countOrders(); n != 0 {
			t.Fatalf("%d orders from an empty cart", n)
		}
	})
	t.Run("pickup point closed at the phone step", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		u := h.user(t, "closed", "en")
		u.add("SNK-001", 1)
		u.toPhoneStep(h.points[0])
		pt := h.points[0]
		pt.Active = false
		if _, err := h.store.UpsertPickupPoint(h.ctx, pt); err != nil {
			t.Fatal(err)
		}
		r := u.send(phone)
		wantText(t, r, 0, u.tx("checkout_point", map[string]any{"Total": commerce.CNY(4500), "Units": 1}))
		if hasAction(r[0], fmt.Sprintf("cp:%s:%d", strings.Split(findAction(t, r[0], "cp:"), ":")[1], pt.ID)) {
			t.Errorf("the closed point is still offered: %v", actions(r[0]))
		}
		wantText(t, u.send(phone), 0, u.tx("help_unknown", nil))
		if n := h.countOrders(); n != 0 {
			t.Fatalf("%d orders at a closed point", n)
		}
		if got := u.checkoutAt(h.points[1]); got.PickupPointID != h.points[1].ID {
			t.Errorf("order at point %d; want %d", got.PickupPointID, h.points[1].ID)
		}
	})
}
