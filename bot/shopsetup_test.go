package bot_test

import (
	"slices"
	"strings"
	"testing"

	"shopbot/bot"
	"shopbot/commerce"
)

// The shop setup in the chat: the first-start wizard of an empty shop, the
// profile under /settings, categories and creating pickup points.

const bossID = "boss"

func newSetupHarness(t *testing.T, empty bool) *harness {
	t.Helper()
	return newHarness(t, harnessOptions{empty: empty, wizard: true, pickup: &commerce.PickupOptions{}, admins: []string{"web:" + bossID}})
}

// wantIn fails unless reply i's text contains each of want.
func wantIn(t *testing.T, replies []bot.Reply, i int, want ...string) {
	t.Helper()
	if len(replies) <= i {
		t.Fatalf("%d replies, want reply %d containing %q", len(replies), i, want)
	}
	for _, w := range want {
		if !strings.Contains(replies[i].Text, w) {
			t.Fatalf("reply %d = %q\nwant it to contain %q", i, replies[i].Text, w)
		}
	}
}

func TestSetupWizard(t *testing.T) {
	t.Parallel()
	h := newSetupHarness(t, true)
	boss := h.user(t, bossID, "en")
	buyer := h.user(t, "buyer-1", "ru")

	// A buyer of a shop not set up gets the built-in welcome.
	wantIn(t, buyer.send("/start"), 0, buyer.tx("welcome", map[string]any{"Name": "Ann"}))

	steps := []struct {
		name   string
		send   string // typed text, or a button action when press is set
		press  bool
		wantIn []string // texts rendered in the boss's language
	}{
		{"start opens the wizard", "/start", false, []string{boss.tx("setup_wizard_intro", nil), "1/6"}},
		{"a name too long is asked again", strings.Repeat("x", 65), false, []string{boss.tx("setup_bad_name", nil), "1/6"}},
		{"name", "Global   Picks", false, []string{boss.tx("setup_saved", nil), "2/6"}},
		{"not a currency", "rubles", false, []string{boss.tx("setup_bad_currency", map[string]any{"Value": "rubles"}), "2/6"}},
		{"currency picked", "ssp:currency:RUB", true, []string{"3/6"}},
		{"languages typed", "русский, English", false, []string{"4/6"}},
		{"not a zone", "Mars/Olympus", false, []string{boss.tx("setup_bad_tz", map[string]any{"Value": "Mars/Olympus"})}},
		{"zone skipped", "ssk:tz", true, []string{"5/6"}},
		{"region", "ru", false, []string{"6/6"}},
		{"contact hours end it", "Пн–Пт 10:00–19:00", false, []string{"Global Picks", "RUB"}},
	}
	var last []bot.Reply
	for _, s := range steps {
		if s.press {
			last = boss.press(s.send)
		} else {
			last = boss.send(s.send)
		}
		if len(last) == 0 {
			t.Fatalf("%s: no reply", s.name)
		}
		for _, w := range s.wantIn {
			if !strings.Contains(last[0].Text, w) {
				t.Fatalf("%s: reply %q\nwant it to contain %q", s.name, last[0].Text, w)
			}
		}
	}
	for _, next := range []string{bot.VerbCategoryAdd.Of(), bot.VerbPointNew.Of(), bot.VerbSetupNext.Of("product")} {
		if !hasAction(last[0], next) {
			t.Errorf("the end of the wizard offers no %s: %v", next, actions(last[0]))
		}
	}
	p, configured, err := h.setup.Profile(h.ctx)
	want := commerce.ShopProfile{Name: "Global Picks", Currency: "RUB", Languages: []string{"ru", "en"}, DefaultLang: "ru",
		TimeZone: "Asia/Shanghai", Region: "RU", ContactHours: "Пн–Пт 10:00–19:00"}
	if err != nil || !configured || p.Name != want.Name || p.Currency != want.Currency || !slices.Equal(p.Languages, want.Languages) ||
		p.DefaultLang != want.DefaultLang || p.TimeZone != want.TimeZone || p.Region != want.Region || p.ContactHours != want.ContactHours {
		t.Fatalf("profile = %+v (configured %v, %v)\nwant %+v", p, configured, err, want)
	}

	// Set up: /start is the welcome again, under the shop's name; buyers see it too.
	wantIn(t, boss.send("/start"), 0, "🏪 Global Picks", boss.tx("welcome", map[string]any{"Name": "Ann"}))
	wantIn(t, buyer.send("/start"), 0, "🏪 Global Picks")

	// The seller's own welcome, stored under the language it is written in.
	boss.press(bot.VerbSetupEdit.Of("welcome"))
	wantIn(t, boss.send("Добро пожаловать в наш магазин!"), 0, boss.tx("setup_saved", nil), "Global Picks")
	wantIn(t, buyer.send("/start"), 0, "🏪 Global Picks\nДобро пожаловать в наш магазин!")
	english := h.user(t, "buyer-2", "en")
	wantIn(t, english.send("/start"), 0, "Добро пожаловать") // no English welcome: the default language's

	// /settings: a currency change while nothing is priced works; a bad one changes nothing.
	wantIn(t, boss.send("/settings"), 0, "RUB", "Global Picks")
	boss.press(bot.VerbSetupEdit.Of("currency"))
	wantIn(t, boss.send("dollars"), 0, boss.tx("setup_bad_currency", map[string]any{"Value": "dollars"}))
	wantIn(t, boss.press(bot.VerbSetupCancel.Of()), 0, boss.tx("setup_cancelled", nil))
	if p, _, _ := h.setup.Profile(h.ctx); p.Currency != "RUB" {
		t.Errorf("currency after a cancelled edit = %s", p.Currency)
	}

	// The shop speaks ru and en: a Chinese buyer is answered in its default
	// language, and the language menu offers only those two.
	zh := h.user(t, "buyer-zh", "zh-CN")
	r := zh.press(bot.VerbLanguages.Of())
	if got := actions(r[0]); len(got) != 1 || !slices.Equal(got[0], []string{bot.VerbLanguage.Of("en"), bot.VerbLanguage.Of("ru")}) {
		t.Errorf("language menu of a ru+en shop = %v", got)
	}
	if r[0].Text != texts.Text("ru", "lang_choose", nil) {
		t.Errorf("a Chinese buyer of a ru+en shop is answered %q, want Russian", r[0].Text)
	}

	wantIn(t, buyer.send("/help"), 0, "Пн–Пт 10:00–19:00")

	// Buyers have no setup commands.
	wantText(t, buyer.send("/settings"), 0, buyer.tx("help_unknown", nil))
	wantText(t, buyer.send("/categories"), 0, buyer.tx("help_unknown", nil))
}

// TestSetupWizardNotForBuyersNorSetShops: the wizard is an admin's, and
// only while the shop is not set up (the demo shop is).
func TestSetupWizardNotForSetShops(t *testing.T) {
	t.Parallel()
	h := newSetupHarness(t, false)
	boss := h.user(t, bossID, "en")
	wantIn(t, boss.send("/start"), 0, "🏪 ", boss.tx("welcome", map[string]any{"Name": "Ann"}))
}

func TestSetupCategories(t *testing.T) {
	t.Parallel()
	h := newSetupHarness(t, true)
	boss := h.user(t, bossID, "en")
	buyer := h.user(t, "buyer-1", "en")
	if _, err := h.setup.SetName(h.ctx, "Shop"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.setup.SetCurrency(h.ctx, "CNY"); err != nil {
		t.Fatal(err)
	}
	wantIn(t, boss.send("/categories"), 0, boss.tx("setup_categories", map[string]any{"N": 0}))
	for _, title := range []string{"面霜", "Snacks", "Сладости"} {
		boss.press(bot.VerbCategoryAdd.Of())
		wantIn(t, boss.send(title), 0, boss.tx("setup_category_added", map[string]any{"Title": title}))
	}
	cats, _ := h.setup.Categories(h.ctx)
	if len(cats) != 3 || cats[0].Title["zh-CN"] != "面霜" || cats[1].Title["en"] != "Snacks" || cats[2].Title["ru"] != "Сладости" {
		t.Fatalf("categories = %+v: each title under the language it is written in", cats)
	}
	// Rename one in English: the Chinese title stays.
	boss.press(bot.VerbCategoryRename.Of(cats[0].ID))
	wantIn(t, boss.send(strings.Repeat("y", 41)), 0, boss.tx("setup_category_bad_title", map[string]any{"Max": 40}))
	boss.send("Face cream")
	// Move Сладости up, hide Snacks.
	boss.press(bot.VerbCategoryUp.Of(cats[2].ID))
	boss.press(bot.VerbCategoryHide.Of(cats[1].ID, "1"))
	cats, _ = h.setup.Categories(h.ctx)
	var got []string
	for _, c := range cats {
		got = append(got, c.Title.In("en"))
	}
	if want := []string{"Face cream", "Сладости", "Snacks"}; !slices.Equal(got, want) || !cats[2].Hidden || cats[0].Title["zh-CN"] != "面霜" {
		t.Fatalf("categories = %v (%+v), want %v with Snacks hidden", got, cats, want)
	}
	// Buyers see the visible ones only.
	r := buyer.press(bot.VerbCategories.Of())
	if hasAction(r[0], bot.VerbCategory.Of(cats[2].ID, 0)) || !hasAction(r[0], bot.VerbCategory.Of(cats[0].ID, 0)) {
		t.Errorf("buyers' categories: %v", actions(r[0]))
	}
	wantText(t, buyer.press(bot.VerbCategory.Of(cats[2].ID, 0)), 0, buyer.tx("category_empty", nil))
	// A stale category button after the category is gone: not found, nothing changed.
	r = boss.press(bot.VerbCategoryHide.Of(999999, "1"))
	wantText(t, r, 0, boss.tx("err_not_found", nil))
}

// TestSetupListingWithoutCategories: a product photo in a shop with no
// categories offers to add one, then the listing goes on into it.
func TestSetupListingWithoutCategories(t *testing.T) {
	t.Parallel()
	h := newSetupHarness(t, true)
	boss := h.user(t, bossID, "en")
	r := boss.sendPhoto(productJPEG(t), "Hand cream 50 ml ¥89 x20 #dutypaid")
	add := findAction(t, r[0], string(bot.VerbCategoryAdd)+":l:")
	wantIn(t, r, 0, boss.tx("setup_listing_no_categories", nil))
	boss.press(add)
	r = boss.send("Cosmetics")
	wantIn(t, r, 0, boss.tx("setup_category_added", map[string]any{"Title": "Cosmetics"}))
	publish := ""
	for _, rep := range r {
		for _, row := range actions(rep) {
			for _, a := range row {
				if strings.HasPrefix(a, string(bot.VerbListingPublish)+":") {
					publish = a
				}
			}
		}
	}
	if publish == "" {
		t.Fatalf("after the category, no preview to publish: %+v", r)
	}
	boss.press(publish)
	list, _ := h.store.Products(h.ctx, commerce.ProductFilter{WithHidden: true})
	if len(list) != 1 || list[0].Title["en"] != "Hand cream 50 ml" {
		t.Fatalf("products = %+v", list)
	}
}

func TestSetupPoints(t *testing.T) {
	t.Parallel()
	h := newSetupHarness(t, true)
	boss := h.user(t, bossID, "en")
	r := boss.send("/point NEW open")
	wantIn(t, r, 0, boss.tx("seller_unknown_point", map[string]any{"PointCode": "NEW", "Codes": ""}))
	create := findAction(t, r[0], bot.VerbPointNew.Of("NEW"))
	wantIn(t, boss.press(create), 0, boss.tx("setup_point_ask_name", map[string]any{"PointCode": "NEW"}))
	wantIn(t, boss.send(strings.Repeat("z", 201)), 0, boss.tx("setup_point_bad_text", map[string]any{"Max": 200}))
	boss.send("静安自提点")
	wantIn(t, boss.send("南京西路 1266 号"), 0, "NEW", "静安自提点", "南京西路 1266 号", "Asia/Shanghai")
	edits := []struct{ cmd, want string }{
		{"/point NEW name Jing'an counter", "Jing'an counter"},
		{"/point NEW address 1266 West Nanjing Rd", "1266 West Nanjing Rd"},
		{"/point NEW location 31.2304, 121.4737", "31.2304, 121.4737"},
		{"/point NEW bonded on", "Bonded zone: yes"},
		{"/point NEW tz Asia/Hong_Kong", "Asia/Hong_Kong"},
		{"/point NEW tz Mars/Olympus", boss.tx("setup_bad_tz", map[string]any{"Value": "Mars/Olympus"})},
		{"/point NEW location 200, 1", boss.tx("setup_point_bad_position", map[string]any{"Value": "200, 1"})},
		{"/point NEW hours Mo-Su 10:00-21:00", "10:00"},
		{"/point NEW close", "NEW"},
	}
	for _, e := range edits {
		wantIn(t, boss.send(e.cmd), 0, e.want)
	}
	p, err := h.setup.PointByCode(h.ctx, "NEW")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name["zh-CN"] != "静安自提点" || p.Name["en"] != "Jing'an counter" || p.Address["en"] == "" || !p.BondedZone ||
		p.Lat != 31.2304 || p.TimeZone != "Asia/Hong_Kong" || p.Opening.IsZero() || p.Active {
		t.Fatalf("point = %+v", p)
	}
	// Creating a point with a code that exists says so.
	boss.press(bot.VerbPointNew.Of())
	wantIn(t, boss.send("new"), 0, boss.tx("setup_point_exists", map[string]any{"PointCode": "NEW"}))
}

// TestCaptionLanguage: a caption is stored under the language it is
// written in, whatever the chat's; other languages are added by editing;
// buyers see their language, else the shop's default one.
func TestCaptionLanguage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{setup: true, admins: []string{"web:" + bossID}})
	boss := h.user(t, bossID, "en")
	if _, err := h.setup.SetLanguages(h.ctx, []string{"zh-CN", "en", "ru"}, "ru"); err != nil {
		t.Fatal(err)
	}
	r := boss.sendPhoto(productJPEG(t), "保湿面霜 50ml ¥129 x20 #完税\n韩国产，适合干性皮肤")
	r = boss.press(findAction(t, r[0], string(bot.VerbListingCategory)+":"))
	var publish string
	for _, rep := range r {
		for _, row := range actions(rep) {
			for _, a := range row {
				if strings.HasPrefix(a, string(bot.VerbListingPublish)+":") {
					publish = a
				}
			}
		}
	}
	if publish == "" {
		t.Fatalf("no preview: %+v", r)
	}
	boss.press(publish)
	list, err := h.store.Products(h.ctx, commerce.ProductFilter{WithHidden: true, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	p := list[len(list)-1]
	if p.Title["zh-CN"] != "保湿面霜 50ml" || p.Title["en"] != "" || p.Description["zh-CN"] != "韩国产，适合干性皮肤" {
		t.Fatalf("product = %+v / %+v: a Chinese caption in an English chat is the Chinese title", p.Title, p.Description)
	}
	// The seller adds the Russian title by editing it: the Chinese stays.
	boss.press(bot.VerbSellerEdit.Of(p.ID, "title"))
	boss.send("Увлажняющий крем 50 мл")
	p = h.productByID(p.ID)
	if p.Title["ru"] != "Увлажняющий крем 50 мл" || p.Title["zh-CN"] != "保湿面霜 50ml" {
		t.Fatalf("titles = %+v", p.Title)
	}
	// An English buyer sees the shop's default language (ru) before any other.
	en := h.user(t, "buyer-en", "en")
	wantIn(t, en.press(bot.VerbProduct.Of(p.ID)), 0, "Увлажняющий крем 50 мл")
	zh := h.user(t, "buyer-zh", "zh-CN")
	wantIn(t, zh.press(bot.VerbProduct.Of(p.ID)), 0, "保湿面霜 50ml")
}

// productByID reads a product as the store has it now.
func (h *harness) productByID(id int64) commerce.Product {
	h.t.Helper()
	p, err := h.store.Product(h.ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}
