package wechat

import (
	"strings"
	"testing"

	"shopbot/bot"
	"shopbot/templates"
)

func testAdapter() *Adapter {
	return &Adapter{o: Options{PublicURL: "https://shop.example.com"}, texts: templates.MustLoad()}
}

func TestRenderNumbered(t *testing.T) {
	t.Parallel()
	a := testAdapter()
	r := a.render([]bot.Reply{
		{Text: "价格已变动。"},
		{Text: "玻尿酸精华液 30 ml\n¥129.00 · 保税仓发货\n库存 20 件\n\n韩国产保湿精华。", Image: "/img/demo:COS-001.png", Buttons: [][]bot.Button{
			{{Text: "−", Action: "q:1:1"}, {Text: "1 件", Action: "q:1:1"}, {Text: "+", Action: "q:1:2"}},
			{{Text: "加入购物车", Action: "add:1:1:12900"}},
			{{Text: "官网", URL: "https://example.com/p/1"}, {Text: "« 返回", Action: "cat:1:0"}},
		}},
	}, "")
	want := "价格已变动。\n\n玻尿酸精华液 30 ml\n¥129.00 · 保税仓发货\n库存 20 件\n\n韩国产保湿精华。\n" +
		"[1] −   [2] 1 件   [3] +\n[4] 加入购物车\n[5] « 返回\n官网: https://example.com/p/1\n\n回复数字 1–5 选择"
	if got := r.numbered(); len(got) != 1 || got[0] != want {
		t.Fatalf("numbered:\n%q\nwant\n%q", got, want)
	}
	if got := strings.Join(r.actions(), " "); got != "q:1:1 q:1:1 q:1:2 add:1:1:12900 cat:1:0" {
		t.Fatalf("actions: %s", got)
	}
	if len(r.cards) != 1 || r.cards[0] != (card{title: "玻尿酸精华液 30 ml", desc: "¥129.00 · 保税仓发货\n库存 20 件",
		picURL: "https://shop.example.com/img/demo:COS-001.png", url: "https://shop.example.com/img/demo:COS-001.png"}) {
		t.Fatalf("card: %+v", r.cards)
	}
	if r.lang != "zh-CN" {
		t.Fatalf("lang %q", r.lang)
	}

	// As customer-service messages: the card, then a msgmenu whose item ids
	// carry the generation.
	r.gen = 17
	msgs := r.kfMessages("oX")
	if len(msgs) != 2 || msgs[0].Msgtype != "news" || msgs[1].Msgtype != "msgmenu" {
		t.Fatalf("kf: %+v", msgs)
	}
	m := msgs[1].Msgmenu
	if len(m.List) != 5 || m.List[0].ID != "1701" || m.List[4].ID != "1705" || m.List[3].Content != "加入购物车" ||
		!strings.HasPrefix(m.HeadContent, "价格已变动。") || strings.Contains(m.HeadContent, "[1]") {
		t.Fatalf("msgmenu: %+v", m)
	}
}

func TestRenderLongTextInChunks(t *testing.T) {
	t.Parallel()
	a := testAdapter()
	var lines []string
	for range 200 {
		lines = append(lines, "Hyaluronic acid serum 30 ml × 2 — ¥258.00")
	}
	var rows [][]bot.Button
	for i := range 12 {
		rows = append(rows, []bot.Button{{Text: "Option", Action: "p:" + string(rune('a'+i))}})
	}
	r := a.render([]bot.Reply{{Text: strings.Join(lines, "\n"), Buttons: rows}}, "")
	parts := r.numbered()
	if len(parts) < 4 {
		t.Fatalf("%d chunks", len(parts))
	}
	for _, p := range parts {
		if len(p) > maxTextBytes {
			t.Fatalf("chunk of %d bytes", len(p))
		}
	}
	last := parts[len(parts)-1]
	if !strings.Contains(last, "[12] Option") || !strings.HasSuffix(last, "Reply with a number, 1–12") {
		t.Fatalf("last chunk: %q", last)
	}
	if r.canMenu() { // 12 options: too many for a msgmenu
		t.Fatal("canMenu with 12 options")
	}
	// A single line longer than a message is cut at a rune boundary.
	for _, c := range chunks(strings.Repeat("长", 1000), maxTextBytes) {
		if len(c) > maxTextBytes || !strings.HasPrefix(c, "长") || !strings.HasSuffix(c, "长") {
			t.Fatalf("bad cut: %d bytes", len(c))
		}
	}
}

func TestChoiceNumber(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{"1": 1, " 7 ": 7, "12": 12, "３": 3, "１０": 10, "0": 0, "123": 0, "1a": 0, "": 0, "-1": 0, "一": 0} {
		n, ok := choiceNumber(in)
		if (want == 0) == ok || (ok && n != want) {
			t.Errorf("choiceNumber(%q) = %d, %v; want %d", in, n, ok, want)
		}
	}
}

func TestDetectLang(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"请选择分类：":                     "zh-CN",
		"Choose a category:":         "en",
		"Выберите категорию:":        "ru",
		"iPhone 15 Pro 保护壳 · ¥99.00": "zh-CN",
		"Корзина: iPhone case × 2":   "ru",
		"¥99.00 · 123":               "",
	} {
		if got := detectLang(in); got != want {
			t.Errorf("detectLang(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestStrictXML(t *testing.T) {
	t.Parallel()
	for in, ok := range map[string]bool{
		"<xml><A>1</A><B>2</B></xml>":                               true,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?><xml><A/></xml>": true,
		"<xml><!-- note --><A>1</A></xml>":                          true,
		"<xml><L><item>1</item><item>2</item></L></xml>":            true,
		"<xml><A>1</A><A>2</A></xml>":                               false,
		"<xml><A><B><C><D><E>deep</E></D></C></B></A></xml>":        false,
		"<xml><A>&lt;ok&gt;</A></xml>":                              true,
		"<xml><A>&foo;</A></xml>":                                   false,
		"<!DOCTYPE x><xml/>":                                        false,
		"<xml><a:A>1</a:A></xml>":                                   false,
		"<xml></xml>trailing":                                       false,
		"<xml><A></B></xml>":                                        false,
		"":                                                          false,
		"<xml>":                                                     false,
	} {
		if err := strictXML([]byte(in), messageLimits); (err == nil) != ok {
			t.Errorf("strictXML(%q) = %v; want ok %v", in, err, ok)
		}
	}
}

// The WeChat-only words come from templates/locales/*/wechat.txt.
func TestWeChatOnlyTexts(t *testing.T) {
	t.Parallel()
	a := testAdapter()
	for _, tc := range []struct{ got, want string }{
		{a.choosePrompt("zh-CN", 1), "回复 1 选择"},
		{a.choosePrompt("en", 12), "Reply with a number, 1–12"},
		{a.choosePrompt("ru", 3), "Ответьте номером от 1 до 3"},
		{a.say("ru", "menu_orders"), "Мои заказы"},
		{a.say("en", "voice"), "Voice messages aren't supported yet — please type instead."},
		{a.say("xx", "location"), "已收到你的位置。"}, // unknown locale: the default
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	for _, key := range []string{"choose_one", "image", "voice", "unsupported", "location", "menu_shop", "menu_cart", "menu_orders"} {
		for _, lang := range templates.Locales {
			if got := a.say(lang, key); got == "" || strings.HasPrefix(got, "wx_") {
				t.Errorf("%s in %s: %q", key, lang, got)
			}
		}
	}
}
