package app

import (
	"bytes"
	"encoding/csv"
	"html"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/bot/telegram"
	"shopbot/bot/telegram/telegramtest"
	"shopbot/commerce"
)

// The "done when" of issue 13, on both stores: from an empty database a
// seller sets up the shop in Telegram and in the console, a buyer orders in
// the web chat, the seller is told at once and ships, the buyer books a
// slot, staff hand the order over, and the order is in the exports.

const (
	sellerTG     = 5150 // the seller's Telegram user and private chat
	sellerSecret = "seller-e2e-secret-0123456789"
	counterStaff = "web:counter-e2e"
)

// sellerRun is the state the steps hand on.
type sellerRun struct {
	t       *testing.T
	cfg     Config
	s       *shop
	api     *telegramtest.FakeAPI
	update  int64  // the last Telegram update id sent
	buyer   string // the web chat's test user
	number  string // the order's number
	orderID int64
}

func newSellerRun(t *testing.T, cfg Config) *sellerRun {
	api := telegramtest.NewFakeAPI()
	t.Cleanup(api.Close)
	cfg.SeedDemo = false
	cfg.Admins = []string{"tg:5150"}
	cfg.PublicURL = "https://shop.example"
	cfg.Telegram = TelegramConfig{Token: telegramtest.Token, APIEndpoint: api.Endpoint(), WebhookSecret: sellerSecret, Mode: telegram.ModeWebhook}
	return &sellerRun{t: t, cfg: cfg, s: start(t, cfg), api: api, buyer: "seller-e2e-buyer"}
}

// sellerScenario: (1) the seller sets the shop up in Telegram (wizard,
// a category, a point, three products from photos) and in the console (a
// category, the welcome, the point's Chinese name and slot size, a fourth
// product); (2) a buyer orders in the web chat; (3) the seller's Telegram
// chat is told and opens the order; (4) it is shipped from the chat and
// arrives from the console; (5) the buyer books a slot; (6) staff hand it
// over on /staff, recording the payment; (7) the exports show it, unpaid
// and then paid.
func sellerScenario(t *testing.T, cfg Config) {
	r := newSellerRun(t, cfg)
	r.setupProfile()
	r.setupCategory()
	r.setupPoint()
	r.consoleLogin()
	r.consoleSetup()
	r.consolePoint()
	r.setupProducts()
	r.consoleProduct()
	r.buyerOrders()
	r.sellerTold()
	r.consoleOnPhone()
	r.shipAndArrive()
	r.exported(false)
	r.handOver(r.bookSlot())
	r.exported(true)
}

func TestSellerEndToEndSQLite(t *testing.T) {
	t.Parallel()
	sellerScenario(t, sqliteConfig(t))
}

func TestSellerEndToEndPostgresRedis(t *testing.T) {
	t.Parallel()
	sellerScenario(t, postgresRedisConfig(t))
}

// deliver posts one update to the real webhook, as Telegram would.
func (r *sellerRun) deliver(update []byte) {
	r.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.s.base+telegramtest.WebhookPath, bytes.NewReader(update))
	req.Header.Set(telegramtest.SecretHeader, sellerSecret)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		r.t.Fatalf("webhook: HTTP %d", res.StatusCode)
	}
}

// tgText is what a message shows: its text or its photo's caption.
func tgText(m telegramtest.Message) string { return m.Text + m.Caption }

// since returns the seller's messages after the first n, and the one
// with id edited (a pressed button's message) when it is not among them.
func (r *sellerRun) since(n, edited int) string {
	msgs := r.api.Messages(sellerTG)
	var out []string
	for _, m := range msgs[min(n, len(msgs)):] {
		out = append(out, tgText(m))
	}
	if m, ok := r.api.Message(sellerTG, edited); ok && edited != 0 && len(out) == 0 {
		out = append(out, tgText(m))
	}
	return strings.Join(out, "\n---\n")
}

// send is the seller typing text in the private chat; it returns what the
// bot answered.
func (r *sellerRun) send(text string) string {
	r.t.Helper()
	n := len(r.api.Messages(sellerTG))
	r.update++
	r.deliver(telegramtest.TextUpdate(r.update, sellerTG, sellerTG, text, "en"))
	return r.since(n, 0)
}

// press taps the newest button whose callback data starts with prefix.
func (r *sellerRun) press(prefix string) string {
	r.t.Helper()
	m, data, ok := r.api.WithButton(sellerTG, prefix)
	if !ok {
		r.t.Fatalf("no button %q in the seller's chat; last: %q", prefix, r.last())
	}
	n := len(r.api.Messages(sellerTG))
	r.update++
	r.deliver(r.api.CallbackOn(r.update, sellerTG, m, data, "en"))
	return r.since(n, m.ID)
}

// photo is the seller sending a product photo with a caption.
func (r *sellerRun) photo(shade uint8, caption string) string {
	r.t.Helper()
	jpg := productPhoto(r.t, shade)
	id := r.api.AddFile(jpg)
	n := len(r.api.Messages(sellerTG))
	r.update++
	r.deliver(telegramtest.PhotoUpdate(r.update, sellerTG, sellerTG, id, len(jpg), caption, "en"))
	return r.since(n, 0)
}

// productPhoto is a small JPEG, its colours shaded by shade.
func productPhoto(t *testing.T, shade uint8) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := range 240 {
		for x := range 320 {
			img.Set(x, y, color.RGBA{uint8(x), shade, uint8(y), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// last is the newest message in the seller's chat, for failure messages.
func (r *sellerRun) last() string {
	m, _ := r.api.Last(sellerTG)
	return tgText(m)
}

// expect fails unless got contains each of want.
func (r *sellerRun) expect(step, got string, want ...string) {
	r.t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			r.t.Fatalf("%s: %q\nwant it to contain %q", step, got, w)
		}
	}
}

// setupProfile: the first /start of an admin in an empty shop is the
// setup wizard.
func (r *sellerRun) setupProfile() {
	ctx := r.t.Context()
	_, configured, err := r.s.app.setup.Profile(ctx)
	products, perr := r.s.app.Store.CountProducts(ctx)
	points, aerr := r.s.app.Store.AllPickupPoints(ctx)
	if err != nil || perr != nil || aerr != nil || configured || products != 0 || len(points) != 0 {
		r.t.Fatalf("a new shop is not empty: configured %v, %d products, %d points (%v %v %v)", configured, products, len(points), err, perr, aerr)
	}
	r.expect("start", r.send("/start"), "1/6")
	r.expect("name", r.send("Harbour Goods"), "2/6")
	r.expect("currency", r.send("CNY"), "3/6")
	r.expect("languages", r.send("English, 中文"), "4/6")
	r.expect("zone", r.send("Asia/Shanghai"), "5/6")
	r.expect("region", r.send("CN"), "6/6")
	r.expect("hours", r.send("10:00–19:00"), "Harbour Goods", "CNY")
	p, configured, err := r.s.app.setup.Profile(ctx)
	if err != nil || !configured || p.Name != "Harbour Goods" || p.Currency != "CNY" || p.DefaultLang != "en" ||
		p.TimeZone != "Asia/Shanghai" || p.Region != "CN" || len(p.Languages) != 2 {
		r.t.Fatalf("profile %+v, configured %v, %v", p, configured, err)
	}
}

// setupCategory: the first category, added with the button the wizard
// ends with (the second comes from the console).
func (r *sellerRun) setupCategory() {
	r.press(bot.VerbCategoryAdd.Of())
	r.expect("category", r.send("Cosmetics"), "Cosmetics")
	cats, err := r.s.app.setup.Categories(r.t.Context())
	if err != nil || len(cats) != 1 || cats[0].Title["en"] != "Cosmetics" {
		r.t.Fatalf("categories %+v, %v", cats, err)
	}
}

// setupPoint: one pickup point, with hours, slots and a staff member.
func (r *sellerRun) setupPoint() {
	r.press(bot.VerbPointNew.Of())
	r.send("HB1")
	r.send("Harbour counter")
	r.expect("point", r.send("88 Harbour Road"), "HB1", "Harbour counter", "88 Harbour Road")
	r.expect("hours", r.send("/point HB1 hours Mo-Su 08:00-22:00"), "08:00")
	r.expect("staff", r.send("/point HB1 staff add "+counterStaff), counterStaff)
	p, err := r.s.app.setup.PointByCode(r.t.Context(), "HB1")
	if err != nil || !p.Active || !p.IsStaff(counterStaff) || p.Opening.IsZero() {
		r.t.Fatalf("point %+v, %v", p, err)
	}
}

// setupProducts: three products from photos with captions, each filed
// under a category and published.
func (r *sellerRun) setupProducts() {
	for i, caption := range []string{"Rose face cream 50 ml ¥129 x20 #dutypaid", "Aloe gel 200 ml ¥59 x30 #dutypaid", "Sesame crackers ¥25 x50 #local"} {
		r.photo(uint8(60*i), caption)
		cat := "Cosmetics"
		if i == 2 {
			cat = "Snacks"
		}
		r.pressLabel(cat)
		r.expect("publish", r.press(string(bot.VerbListingPublish)+":"), strings.Fields(caption)[0])
	}
	list, err := r.s.app.Store.Products(r.t.Context(), commerce.ProductFilter{Limit: 10})
	if err != nil || len(list) != 3 {
		r.t.Fatalf("products %d, %v", len(list), err)
	}
	cats, _ := r.s.app.setup.Categories(r.t.Context())
	for _, p := range list {
		snack := strings.HasPrefix(p.Title["en"], "Sesame")
		if p.Image == "" || !p.Active || p.Price.Currency != "CNY" || snack != (p.CategoryID == cats[1].ID) {
			r.t.Fatalf("product %+v: want a photo, active, in CNY, in its category", p)
		}
	}
	if r.api.Count(telegramtest.FileMethod) != 3 {
		r.t.Fatalf("%d photo downloads from Telegram; want 3", r.api.Count(telegramtest.FileMethod))
	}
}

// pressLabel taps the newest button labelled label.
func (r *sellerRun) pressLabel(label string) string {
	r.t.Helper()
	msgs := r.api.Messages(sellerTG)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Markup {
			for _, b := range row {
				if strings.Contains(b.Text, label) && b.CallbackData != "" {
					return r.press(b.CallbackData)
				}
			}
		}
	}
	r.t.Fatalf("no button %q; last %q", label, r.last())
	return ""
}

var consoleLinkRe = regexp.MustCompile(`https://shop\.example(/admin/login\?token=[A-Za-z0-9._~-]+)`)

// consoleLogin: /console in the seller's chat sends a login link; opening
// it shows a button, which signs the browser in once.
func (r *sellerRun) consoleLogin() {
	m := consoleLinkRe.FindStringSubmatch(r.send("/console"))
	if m == nil {
		r.t.Fatalf("/console sent no login link: %q", r.last())
	}
	if code, page := r.s.getAs("console", m[1]); code != http.StatusOK || !strings.Contains(page, "tg:5150") {
		r.t.Fatalf("login page: %d %s", code, page)
	}
	token := strings.TrimPrefix(m[1], "/admin/login?token=")
	if code, _ := r.postForm("console", "/admin/login", url.Values{"token": {token}}); code != http.StatusSeeOther {
		r.t.Fatalf("sign in: HTTP %d", code)
	}
	if code, page := r.s.getAs("console", "/admin"); code != http.StatusOK || !strings.Contains(page, "Harbour Goods") && !strings.Contains(page, "tg:5150") {
		r.t.Fatalf("/admin after sign-in: %d %s", code, page)
	}
}

// cli runs a shopbot command against the shop's database, as the seller
// would on the server (SHOPBOT_ADMINS and the public URL set).
func (r *sellerRun) cli(args ...string) string {
	r.t.Helper()
	vars := map[string]string{"DATABASE_URL": r.cfg.DatabaseURL, "REDIS_URL": r.cfg.RedisURL, "SHOPBOT_REDIS_PREFIX": r.cfg.RedisPrefix,
		"SHOPBOT_ADMINS": strings.Join(r.cfg.Admins, ","), "SHOPBOT_PUBLIC_URL": r.cfg.PublicURL, "SHOPBOT_SEED_DEMO": "false"}
	code, out, errOut := shopbot(r.t, vars)(args...)
	if code != 0 {
		r.t.Fatalf("shopbot %v: exit %d\n%s", args, code, errOut)
	}
	return out
}

// consoleOnPhone: a second device signs in with the link of "shopbot admin
// link" and finds the order on the orders page.
func (r *sellerRun) consoleOnPhone() {
	m := consoleLinkRe.FindStringSubmatch(r.cli("admin", "link", "tg:5150"))
	if m == nil {
		r.t.Fatal("shopbot admin link printed no link")
	}
	if code, _ := r.postForm("phone", "/admin/login", url.Values{"token": {strings.TrimPrefix(m[1], "/admin/login?token=")}}); code != http.StatusSeeOther {
		r.t.Fatalf("sign in with the CLI's link: HTTP %d", code)
	}
	if code, page := r.s.getAs("phone", "/admin/orders?q="+r.number); code != http.StatusOK || !strings.Contains(page, r.number) || !strings.Contains(page, "Chen Jing") {
		r.t.Fatalf("/admin/orders?q=%s: %d %s", r.number, code, page)
	}
}

// consoleForm reads the CSRF token of the form on a console page.
func (r *sellerRun) consoleForm(path string) (csrf, page string) {
	r.t.Helper()
	code, page := r.s.getAs("console", path)
	m := csrfRe.FindStringSubmatch(page)
	if code != http.StatusOK || m == nil {
		r.t.Fatalf("GET %s: %d, no form: %s", path, code, page)
	}
	return m[1], page
}

// postForm posts a form from the browser of a test user ("console",
// "phone", "staff": each its own cookies); the answer's body comes after
// its Location, if any.
func (r *sellerRun) postForm(browser, path string, form url.Values) (int, string) {
	r.t.Helper()
	return r.postAs(browser, path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
}

func (r *sellerRun) postAs(browser, path, contentType string, body io.Reader) (int, string) {
	r.t.Helper()
	res, err := r.s.browser(browser).Post(r.s.base+path, contentType, body)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location") + string(b)
}

const shopWelcome = "Fresh picks from the harbour, every week."

// consoleSetup: the second category and the shop's English welcome, from
// the console's forms.
func (r *sellerRun) consoleSetup() {
	csrf, _ := r.consoleForm("/admin/categories")
	if code, got := r.postForm("console", "/admin/categories", url.Values{"csrf": {csrf}, "title": {"Snacks"}, "lang": {"en"}}); code != http.StatusSeeOther {
		r.t.Fatalf("add a category in the console: %d %s", code, got)
	}
	cats, err := r.s.app.setup.Categories(r.t.Context())
	if err != nil || len(cats) != 2 || cats[1].Title["en"] != "Snacks" {
		r.t.Fatalf("categories after the console's: %+v, %v", cats, err)
	}
	csrf, page := r.consoleForm("/admin/settings")
	if !strings.Contains(page, `value="Harbour Goods"`) || !strings.Contains(page, `value="Asia/Shanghai"`) {
		r.t.Fatalf("the settings page does not show the wizard's profile: %s", page)
	}
	form := url.Values{"csrf": {csrf}, "name": {"Harbour Goods"}, "langs": {"en", "zh-CN"}, "default_lang": {"en"}, "welcome_en": {shopWelcome},
		"zone": {"Asia/Shanghai"}, "region": {"CN"}, "currency": {"CNY"}, "hours": {"10:00–19:00"}}
	if code, got := r.postForm("console", "/admin/settings", form); code != http.StatusSeeOther {
		r.t.Fatalf("save settings in the console: %d %s", code, got)
	}
	if p, _, err := r.s.app.setup.Profile(r.t.Context()); err != nil || p.Welcome["en"] != shopWelcome || p.Name != "Harbour Goods" || len(p.Languages) != 2 {
		r.t.Fatalf("profile after the console's settings: %+v, %v", p, err)
	}
}

// consolePoint: the point's form on the console's points page, sent back
// as the page shows it but for a Chinese name and six buyers a slot.
func (r *sellerRun) consolePoint() {
	csrf, page := r.consoleForm("/admin/points")
	form := url.Values{"csrf": {csrf}, "name_zh-CN": {"港口自提点"}, "slot_capacity": {"6"}}
	for _, field := range []string{"hours", "slot_minutes", "staff", "zone"} {
		m := regexp.MustCompile(`id="HB1-[a-z]+" name="` + field + `" value="([^"]*)"`).FindStringSubmatch(page)
		if m != nil {
			form.Set(field, html.UnescapeString(m[1]))
		}
	}
	if form.Get("hours") == "" || form.Get("staff") == "" {
		r.t.Fatalf("the points page does not show the point's hours and staff: %v\n%s", form, page)
	}
	if code, got := r.postForm("console", "/admin/points/HB1", form); code != http.StatusSeeOther {
		r.t.Fatalf("edit the point in the console: %d %s", code, got)
	}
	p, err := r.s.app.setup.PointByCode(r.t.Context(), "HB1")
	if err != nil || p.Name["zh-CN"] != "港口自提点" || p.Name["en"] != "Harbour counter" || p.SlotCapacity != 6 ||
		!p.IsStaff(counterStaff) || p.Opening.IsZero() || p.SlotMinutes != commerce.DefaultSlotMinutes {
		r.t.Fatalf("point after the console's edit: %+v, %v", p, err)
	}
}

var nonceRe = regexp.MustCompile(`name="nonce" value="([^"]+)"`)

// consoleProduct: a fourth product, with its photo, from the console's
// form (multipart, CSRF token from the form).
func (r *sellerRun) consoleProduct() {
	csrf, page := r.consoleForm("/admin/products/new")
	nonce := nonceRe.FindStringSubmatch(page)
	cats, err := r.s.app.setup.Categories(r.t.Context())
	if nonce == nil || err != nil {
		r.t.Fatalf("new product form without a nonce (%v)", err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range map[string]string{"csrf": csrf, "nonce": nonce[1], "lang": "en", "title": "Green tea cookies",
		"description": "Made this morning.", "price": "35.50", "stock": "12", "origin": string(commerce.OriginLocal),
		"category": strconv.FormatInt(cats[1].ID, 10)} {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("photo", "cookies.jpg")
	fw.Write(productPhoto(r.t, 200))
	mw.Close()
	code, got := r.postAs("console", "/admin/products", mw.FormDataContentType(), &body)
	if code != http.StatusSeeOther || !strings.Contains(got, "done=created") {
		r.t.Fatalf("create product in the console: %d %s", code, got)
	}
	list, err := r.s.app.Store.Products(r.t.Context(), commerce.ProductFilter{Limit: 10})
	if err != nil || len(list) != 4 {
		r.t.Fatalf("%d products after the console's, %v", len(list), err)
	}
	found := false
	for _, p := range list {
		found = found || p.Title["en"] == "Green tea cookies" && p.Image != "" && p.Price == commerce.CNY(3550) && p.Stock == 12 && p.CategoryID == cats[1].ID
	}
	if !found {
		r.t.Fatalf("the console's product is not as typed: %+v", list)
	}
}

// buyerOrders: a buyer in the web chat browses to the seller's product,
// adds it to the cart and checks out at the new point.
func (r *sellerRun) buyerOrders() {
	t, s, u := r.t, r.s, r.buyer
	rep := s.say(u, "text", "/start")
	r.expect("welcome", rep[0].Text, "Harbour Goods", shopWelcome)
	rep = s.say(u, "action", button(t, rep, "Shop"))
	rep = s.say(u, "action", button(t, rep, "Cosmetics"))
	rep = s.say(u, "action", button(t, rep, "Rose face cream"))
	r.expect("card", rep[0].Text, "Rose face cream", "¥129")
	// The photo the seller sent in Telegram, read from the fake's file
	// download, is what the web card shows.
	if code, img := s.get(rep[0].Image); code != http.StatusOK || !strings.HasPrefix(img, "\xff\xd8") {
		t.Fatalf("the card's photo %q: HTTP %d", rep[0].Image, code)
	}
	rep = s.say(u, "action", button(t, rep, "Add 1"))
	rep = s.say(u, "action", button(t, rep, "Cart"))
	rep = s.say(u, "action", button(t, rep, "Check out"))
	s.say(u, "action", button(t, rep, "Harbour counter"))
	s.say(u, "text", "Chen Jing")
	rep = s.say(u, "text", "13900139000")
	m := orderNumberRe.FindStringSubmatch(lastText(rep))
	if m == nil {
		t.Fatalf("no order number in the review: %q", lastText(rep))
	}
	r.number = m[1]
	confirm := button(t, rep, "Confirm")
	r.orderID, _ = strconv.ParseInt(strings.TrimPrefix(confirm, "oc:"), 10, 64)
	r.expect("confirm", lastText(s.say(u, "action", confirm)), "№"+r.number)
	o := r.order(commerce.StatusConfirmed)
	if pt, err := r.s.app.Store.PickupPoint(t.Context(), o.PickupPointID); err != nil || pt.Code != "HB1" || o.Phone != "+8613900139000" {
		t.Fatalf("order %+v at %+v, %v", o, pt, err)
	}
}

// order reads the order and fails unless it is in status want.
func (r *sellerRun) order(want commerce.OrderStatus) commerce.Order {
	r.t.Helper()
	o, err := r.s.app.Store.Order(r.t.Context(), r.orderID)
	if err != nil || o.Status != want || o.Number != r.number {
		r.t.Fatalf("order %s: %+v, %v; want status %s", r.number, o, err, want)
	}
	return o
}

// sellerTold: the new-order notice reaches the seller's Telegram chat at
// once (the job queue runs it), with a button that opens the order.
func (r *sellerRun) sellerTold() {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range r.api.Messages(sellerTG) {
			if strings.Contains(m.Text, "№"+r.number) && len(m.Markup) > 0 {
				r.expect("open", r.press(bot.VerbSellerOrder.Of(r.orderID)), "№"+r.number, "Chen Jing")
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.t.Fatalf("no notice of order %s in the seller's chat; last %q", r.number, r.last())
}

// shipAndArrive: shipped with the desk's button in Telegram, arrived with
// the console's action form.
func (r *sellerRun) shipAndArrive() {
	r.expect("ship", r.press(bot.VerbDeskShip.Of(r.orderID)), "№"+r.number)
	r.order(commerce.StatusShipped)
	csrf, page := r.consoleForm("/admin/orders/" + r.number)
	if !strings.Contains(page, "/admin/orders/"+r.number+"/arrive") {
		r.t.Fatalf("the console's order page offers no arrival: %s", page)
	}
	if code, got := r.postForm("console", "/admin/orders/"+r.number+"/arrive", url.Values{"csrf": {csrf}}); code != http.StatusSeeOther {
		r.t.Fatalf("arrive in the console: %d %s", code, got)
	}
	r.order(commerce.StatusReadyForPickup)
}

// bookSlot: the arrival notice reaches the buyer's web chat with the
// pickup code and times to book; the buyer books the first one.
func (r *sellerRun) bookSlot() (code string) {
	arrived := r.s.inbox(r.buyer, "№"+r.number)
	m := codeRe.FindStringSubmatch(arrived.Text)
	if m == nil {
		r.t.Fatalf("arrival notice without a pickup code: %q", arrived.Text)
	}
	prefix := bot.VerbBookPickup.Of(r.orderID) + ":"
	book := ""
	for _, row := range arrived.Buttons {
		for _, b := range row {
			if book == "" && strings.HasPrefix(b.Action, prefix) {
				book = b.Action
			}
		}
	}
	if book == "" {
		r.t.Fatalf("arrival notice without times to book: %+v", arrived)
	}
	r.s.say(r.buyer, "action", book)
	o := r.order(commerce.StatusReadyForPickup)
	if _, err := r.s.app.pickup.ActiveBooking(r.t.Context(), o.Buyer, r.orderID); err != nil {
		r.t.Fatalf("no booking after pressing %s: %v", book, err)
	}
	return m[1]
}

// handOver: the point's staff sign in to /staff with a link from the CLI,
// look the order up by the buyer's code, and hand it over recording the
// payment at pickup; without the payment it is refused.
func (r *sellerRun) handOver(code string) {
	link := strings.TrimSpace(runCLI(r.t, r.cfg, "staff", "link", counterStaff))
	token, ok := strings.CutPrefix(link[strings.Index(link, "/staff/login"):], "/staff/login?token=")
	if !ok {
		r.t.Fatalf("staff link = %q", link)
	}
	if status, _ := r.postForm("staff", "/staff/login", url.Values{"token": {token}}); status != http.StatusOK && status != http.StatusSeeOther {
		r.t.Fatalf("staff sign in: HTTP %d", status)
	}
	_, page := r.s.getAs("staff", "/staff")
	csrf := csrfRe.FindStringSubmatch(page)
	pt, err := r.s.app.setup.PointByCode(r.t.Context(), "HB1")
	if csrf == nil || err != nil {
		r.t.Fatalf("staff page without a form (%v): %s", err, page)
	}
	form := url.Values{"csrf": {csrf[1]}, "point": {strconv.FormatInt(pt.ID, 10)}, "code": {code}}
	status, body := r.postForm("staff", "/staff/inspect", form)
	amount := amountRe.FindStringSubmatch(body)
	if status != http.StatusOK || !strings.Contains(body, r.number) || amount == nil || amount[1] != "129.00" {
		r.t.Fatalf("inspect: %d, want the order and its amount to pay: %s", status, body)
	}
	if status, _ := r.postForm("staff", "/staff/redeem", form); status == http.StatusOK {
		r.t.Fatal("an unpaid order was handed over without recording its payment")
	}
	r.order(commerce.StatusReadyForPickup)
	form.Set("payment", string(commerce.PayCard))
	form.Set("amount", amount[1])
	form.Set("currency", "CNY")
	if status, body := r.postForm("staff", "/staff/redeem", form); status != http.StatusOK {
		r.t.Fatalf("hand over with the payment: %d %s", status, body)
	}
	paid := r.order(commerce.StatusPickedUp).Paid
	if !paid.IsPaid() || paid.Method != commerce.PayCard || paid.Amount != commerce.CNY(12900) || paid.By != counterStaff {
		r.t.Fatalf("payment recorded: %+v", paid)
	}
	r.s.inbox(r.buyer, "Thank you for collecting order №"+r.number)
}

var amountRe = regexp.MustCompile(`name="amount"[^>]*value="([^"]*)"`)

// exported: the order is in the console's /admin/orders.csv and in
// "shopbot orders export --format csv" (one format, UTF-8 with a BOM), one
// row for its one line, unpaid before the hand-over and paid by card
// after; "shopbot orders list|show" say the same.
func (r *sellerRun) exported(paid bool) {
	code, body := r.s.getAs("console", "/admin/orders.csv")
	if code != http.StatusOK {
		r.t.Fatalf("orders.csv: HTTP %d", code)
	}
	status := string(commerce.StatusReadyForPickup)
	want := map[string]string{"order": r.number, "status": status, "paid": "unpaid", "payment": "", "paid_amount": "",
		"point": "HB1", "name": "Chen Jing", "title": "Rose face cream 50 ml", "total": "129.00", "currency": "CNY"}
	if paid {
		status = string(commerce.StatusPickedUp)
		want["status"], want["paid"], want["payment"], want["paid_amount"] = status, "paid", "card", "129.00"
	}
	r.expectRow("orders.csv", r.csvRow("orders.csv", body), want)
	r.expectRow("orders export", r.csvRow("orders export", runCLI(r.t, r.cfg, "orders", "export", "--format", "csv")), want)

	list := runCLI(r.t, r.cfg, "orders", "list", "--status", status)
	show := runCLI(r.t, r.cfg, "orders", "show", r.number)
	word, line := "unpaid", "unpaid"
	if paid {
		word, line = "paid card", "by card"
	}
	if !strings.Contains(list, r.number) || !strings.Contains(list, word) || !strings.Contains(show, "order "+r.number+"  "+status) || !strings.Contains(show, line) {
		r.t.Fatalf("orders list --status %s:\n%s\norders show %s:\n%s", status, list, r.number, show)
	}
}

// csvRow reads a CSV with a byte-order mark, a header and one row: the
// row by its header's names.
func (r *sellerRun) csvRow(what, body string) map[string]string {
	r.t.Helper()
	text, bom := strings.CutPrefix(body, "\uFEFF")
	rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if !bom || err != nil || len(rows) != 2 {
		r.t.Fatalf("%s: BOM %v, %d rows, %v:\n%s", what, bom, len(rows), err, body)
	}
	row := map[string]string{}
	for i, name := range rows[0] {
		row[name] = rows[1][i]
	}
	return row
}

// expectRow fails unless row has the columns of want, as wanted.
func (r *sellerRun) expectRow(what string, row, want map[string]string) {
	r.t.Helper()
	for k, v := range want {
		if got, ok := row[k]; !ok || got != v {
			r.t.Fatalf("%s: column %q = %q (present %v), want %q; row %v", what, k, got, ok, v, row)
		}
	}
}
