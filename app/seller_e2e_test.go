package app

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"strings"
	"testing"

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
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := range 240 {
		for x := range 320 {
			img.Set(x, y, color.RGBA{uint8(x), shade, uint8(y), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		r.t.Fatal(err)
	}
	id := r.api.AddFile(buf.Bytes())
	n := len(r.api.Messages(sellerTG))
	r.update++
	r.deliver(telegramtest.PhotoUpdate(r.update, sellerTG, sellerTG, id, buf.Len(), caption, "en"))
	return r.since(n, 0)
}

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
	if _, configured, err := r.s.app.setup.Profile(ctx); err != nil || configured {
		r.t.Fatalf("a new shop is configured already (%v)", err)
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

// setupCategories: two categories, added with the button the wizard ends
// with.
func (r *sellerRun) setupCategories() {
	for _, title := range []string{"Cosmetics", "Snacks"} {
		r.press(bot.VerbCategoryAdd.Of())
		r.expect("category", r.send(title), title)
	}
	cats, err := r.s.app.setup.Categories(r.t.Context())
	if err != nil || len(cats) != 2 || cats[0].Title["en"] != "Cosmetics" || cats[1].Title["en"] != "Snacks" {
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
	for _, p := range list {
		if p.Image == "" || !p.Active || p.Price.Currency != "CNY" {
			r.t.Fatalf("product %+v: want a photo, active, in CNY", p)
		}
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

func sellerScenario(t *testing.T, cfg Config) {
	r := newSellerRun(t, cfg)
	r.setupProfile()
	r.setupCategories()
	r.setupPoint()
	r.setupProducts()
}

func TestSellerEndToEndSQLite(t *testing.T) {
	t.Parallel()
	sellerScenario(t, sqliteConfig(t))
}

func TestSellerEndToEndPostgresRedis(t *testing.T) {
	t.Parallel()
	sellerScenario(t, postgresRedisConfig(t))
}
