package telegram

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shopbot/bot"
	"shopbot/bot/telegram/telegramtest"
)

func TestSplitText(t *testing.T) {
	t.Parallel()
	line := func(s string, n int) string { return strings.Repeat(s, n) }
	for _, tc := range []struct {
		name   string
		text   string
		limit  int
		pieces int // expected number of pieces, 0 = don't check
	}{
		{"short", "hello", 10, 1},
		{"exact", line("a", 10), 10, 1},
		{"one over", line("a", 11), 10, 2},
		{"ascii lines", line("line of text\n", 1000), MaxTextLen, 4},
		{"chinese", line("跨境电商的正品", 1000), MaxTextLen, 2},
		{"cyrillic words", line("сыворотка ", 900), MaxTextLen, 3},
		{"emoji (2 UTF-16 units each)", line("🛍", 3000), MaxTextLen, 2},
		{"entities", line("Tom & Jerry <b>&amp;</b> \"q\" ", 400), MaxTextLen, 0},
		{"ampersands only", line("&", 5000), MaxTextLen, 2},
		{"lt at the cut", line("a", 4095) + "<<<<", MaxTextLen, 2},
		{"combining marks", line("e\u0301", 3000), MaxTextLen, 0},
		{"zwj family", line("👨\u200d👩\u200d👧", 1000), MaxTextLen, 0},
		{"caption mix", line("玻尿酸 serum & <cream>\n", 100), MaxCaptionLen, 0},
		{"tiny limit, wide rune", "🛍🛍", 1, 2},
		{"invalid utf-8 cleaned", clean("ab\xffcd" + line("x", 20)), 8, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pieces := splitText(tc.text, tc.limit)
			if got := strings.Join(pieces, ""); got != tc.text {
				t.Fatalf("pieces do not concatenate back to the text")
			}
			if tc.pieces != 0 && len(pieces) != tc.pieces {
				t.Errorf("%d pieces, want %d", len(pieces), tc.pieces)
			}
			for i, p := range pieces {
				if !utf8.ValidString(p) {
					t.Errorf("piece %d is not valid UTF-8", i)
				}
				if n := utf16Len(p); n > tc.limit && !(tc.limit < 2 && utf8.RuneCountInString(p) == 1) {
					t.Errorf("piece %d has %d UTF-16 units > %d", i, n, tc.limit)
				}
				if p == "" {
					t.Errorf("piece %d is empty", i)
				}
				// What is sent: the escaped piece, which must parse as
				// Telegram HTML back to exactly the piece.
				plain, err := telegramtest.ParseHTML(escapeHTML(p))
				if err != nil || plain != p {
					t.Errorf("piece %d: escaped form does not round-trip: %v", i, err)
				}
				if i > 0 {
					r, _ := utf8.DecodeRuneInString(p)
					if r == '\u0301' || r == '\u200d' {
						t.Errorf("piece %d starts inside a grapheme (%U)", i, r)
					}
				}
			}
		})
	}
	t.Run("prefers line breaks", func(t *testing.T) {
		text := strings.Repeat("x", 3000) + "\n" + strings.Repeat("y", 3000)
		p := splitText(text, MaxTextLen)
		if len(p) != 2 || p[0] != strings.Repeat("x", 3000)+"\n" {
			t.Errorf("did not cut at the line break: %d pieces, first %d bytes", len(p), len(p[0]))
		}
	})
}

func TestEscapeHTML(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`<b>Eve</b> & "co"`: "&lt;b&gt;Eve&lt;/b&gt; &amp; &quot;co&quot;",
		"&amp;":             "&amp;amp;",
		"¥1,299.00 · 30 ml": "¥1,299.00 · 30 ml",
	} {
		if got := escapeHTML(in); got != want {
			t.Errorf("escapeHTML(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestUserStringsEscaped: names and catalog texts go out escaped in text and
// captions (the fake rejects anything Telegram could not parse) and arrive
// as typed; button labels are plain text and are not escaped.
func TestUserStringsEscaped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	eve := &tgbotapi.User{ID: 3003, FirstName: `<b>Eve</b> & "co" <a href="x">`, LanguageCode: "en"}
	e.deliver(t, textUpdate(1, private(eve), eve, "/start"))
	msgs := e.api.Messages(eve.ID)
	if len(msgs) != 1 {
		t.Fatalf("%d messages (the fake refused the text?), calls %+v", len(msgs), e.api.Calls("sendMessage"))
	}
	if !strings.Contains(msgs[0].Text, eve.FirstName) {
		t.Errorf("the name does not arrive as typed: %q", msgs[0].Text)
	}
	sent := e.api.Calls("sendMessage")[0].Params
	if !strings.Contains(sent.Get("text"), "&lt;b&gt;Eve&lt;/b&gt; &amp; &quot;co&quot;") || sent.Get("parse_mode") != "HTML" {
		t.Errorf("sent text not escaped HTML: %q", sent.Get("text"))
	}
	// The category "Cosmetics & skincare" is a button label: plain text.
	_, data, _ := e.api.WithButton(eve.ID, "cats")
	e.press(t, 2, eve, msgs[0], data)
	_, _, ok := e.api.WithButton(eve.ID, "cat:")
	if !ok {
		t.Fatal("no category buttons")
	}
	var label string
	for _, m := range e.api.Messages(eve.ID) {
		for _, row := range m.Markup {
			for _, b := range row {
				if strings.Contains(b.Text, "Cosmetics") {
					label = b.Text
				}
			}
		}
	}
	if label != "Cosmetics & skincare" {
		t.Errorf("button label = %q, want it unescaped", label)
	}
}

func TestKeyboard(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter())
	a64 := strings.Repeat("a", 64)
	kb := e.a.keyboard(context.Background(), [][]bot.Button{
		{{Text: "Shop", Action: "cats"}, {Text: "Cart (2)", Action: "cart"}},
		{{Text: "at limit", Action: a64}, {Text: "over limit", Action: a64 + "b"}},
		{{Text: "only bad", Action: strings.Repeat("é", 33)}}, // 66 bytes: row disappears
		{{Text: "Site", URL: "https://shop.example/d/X1"}, {Text: "js", URL: "javascript:alert(1)"}, {Text: "chat", URL: "tg://resolve?domain=x"}},
		{{Text: "  ", Action: "home"}, {Text: "no action"}},
		{},
	})
	got := [][]string{}
	for _, row := range kb.InlineKeyboard {
		var r []string
		for _, b := range row {
			switch {
			case b.CallbackData != nil:
				r = append(r, b.Text+"→"+*b.CallbackData)
			case b.URL != nil:
				r = append(r, b.Text+"⇗"+*b.URL)
			}
		}
		got = append(got, r)
	}
	want := [][]string{
		{"Shop→cats", "Cart (2)→cart"},
		{"at limit→" + a64},
		{"Site⇗https://shop.example/d/X1", "chat⇗tg://resolve?domain=x"},
	}
	if strings.Join(flat(got), "|") != strings.Join(flat(want), "|") || len(got) != len(want) {
		t.Errorf("keyboard =\n%v\nwant\n%v", got, want)
	}
	if n := e.events.get(EventButtonDropped); n != 5 {
		t.Errorf("button_dropped = %d, want 5", n)
	}
	if e.a.keyboard(context.Background(), nil) != nil {
		t.Error("no buttons should give no markup")
	}
	// A reply with an oversized action is still sent, without that button.
	err := e.a.SendReply(context.Background(), "1001", bot.Reply{Text: "pick", Buttons: [][]bot.Button{{{Text: "ok", Action: "cats"}, {Text: "bad", Action: a64 + "x"}}}})
	if err != nil {
		t.Fatal(err)
	}
	m := e.api.Messages(1001)
	if len(m) != 1 || len(m[0].Markup) != 1 || len(m[0].Markup[0]) != 1 {
		t.Errorf("sent %+v", m)
	}
}

func flat(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, strings.Join(r, ","))
	}
	return out
}

func TestRenderLongReplies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter())
	ctx := context.Background()
	buttons := [][]bot.Button{{{Text: "Cart", Action: "cart"}}}
	long := strings.Repeat("Описание товара & <детали>\n", 400) // ≈ 10 800 characters
	if err := e.a.SendReply(ctx, "1001", bot.Reply{Text: long, Buttons: buttons}); err != nil {
		t.Fatal(err)
	}
	msgs := e.api.Messages(1001)
	if len(msgs) != 3 {
		t.Fatalf("%d messages, want 3", len(msgs))
	}
	var joined string
	for i, m := range msgs {
		joined += m.Text
		if (len(m.Markup) > 0) != (i == len(msgs)-1) {
			t.Errorf("message %d: buttons %v (only the last one carries them)", i, m.Markup)
		}
	}
	// (Telegram trims each message, so the line breaks at the cuts go.)
	if strings.ReplaceAll(joined, "\n", "") != strings.ReplaceAll(long, "\n", "") {
		t.Error("the text did not arrive complete")
	}

	// A photo whose caption is too long: photo with the first part, the
	// rest as text carrying the buttons.
	caption := strings.Repeat("玻尿酸精华液 & serum\n", 120) // ≈ 2 000 characters
	if err := e.a.SendReply(ctx, "2002", bot.Reply{Text: caption, Image: "/img/demo:COS-001.png", Buttons: buttons}); err != nil {
		t.Fatal(err)
	}
	msgs = e.api.Messages(2002)
	if len(msgs) != 2 || msgs[0].Photo != testPublic+"/img/demo:COS-001.png" || msgs[1].Photo != "" {
		t.Fatalf("got %+v", msgs)
	}
	if len(msgs[0].Markup) != 0 || len(msgs[1].Markup) != 1 {
		t.Error("buttons must follow the end of the text")
	}
	if utf16Len(msgs[0].Caption) > MaxCaptionLen || strings.ReplaceAll(msgs[0].Caption+msgs[1].Text, "\n", "") != strings.ReplaceAll(caption, "\n", "") {
		t.Error("caption split lost or exceeded text")
	}

	// A short caption keeps its buttons on the photo.
	if err := e.a.SendReply(ctx, "3003", bot.Reply{Text: "Serum · ¥129", Image: "/img/demo:COS-001.png", Buttons: buttons}); err != nil {
		t.Fatal(err)
	}
	if msgs = e.api.Messages(3003); len(msgs) != 1 || len(msgs[0].Markup) != 1 {
		t.Errorf("got %+v", msgs)
	}
}

func TestRenderPhotos(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := bot.Reply{Text: "Serum", Image: "/img/demo:COS-001.png"}

	// Telegram cannot fetch from a private address: text only, no attempt.
	e := newEnv(t, noRouter(), withOptions(func(o *Options) { o.Mode, o.PublicURL = ModePolling, "http://127.0.0.1:8080" }))
	if err := e.a.SendReply(ctx, "1001", r); err != nil {
		t.Fatal(err)
	}
	if e.api.Count("sendPhoto") != 0 || e.api.Count("sendMessage") != 1 {
		t.Errorf("private public URL: photos %d, texts %d", e.api.Count("sendPhoto"), e.api.Count("sendMessage"))
	}

	// Telegram refuses the picture: the text still goes out.
	e = newEnv(t, noRouter())
	e.api.Inject("sendPhoto", fault{Code: 400, Desc: "Bad Request: failed to get HTTP URL content"})
	if err := e.a.SendReply(ctx, "1001", r); err != nil {
		t.Fatal(err)
	}
	if e.api.Count("sendMessage") != 1 || e.events.get(EventPhotoFallback) != 1 || e.events.get(EventSendFailed) != 0 {
		t.Errorf("photo fallback: texts %d, events %v", e.api.Count("sendMessage"), e.events.n)
	}

	for _, tc := range []struct{ public, want string }{
		{"https://shop.example/", "https://shop.example"},
		{"http://localhost:8080", ""},
		{"http://10.0.0.5", ""},
		{"http://[::1]:80", ""},
		{"", ""},
		{"ftp://shop.example", ""},
		{"https://shop.example/base", "https://shop.example/base"},
	} {
		if got := publicPhotoBase(tc.public); got != tc.want {
			t.Errorf("publicPhotoBase(%q) = %q, want %q", tc.public, got, tc.want)
		}
	}
}

func TestRenderEdit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter())
	ctx := context.Background()
	const chat = 1001
	send := func(r bot.Reply) *tgbotapi.Message {
		t.Helper()
		if err := e.a.SendReply(ctx, itoa(chat), r); err != nil {
			t.Fatal(err)
		}
		ms := e.api.Messages(chat)
		return e.api.asMessage(ms[len(ms)-1])
	}
	kb := func(a string) [][]bot.Button { return [][]bot.Button{{{Text: a, Action: a}}} }
	in := func(pressed *tgbotapi.Message) incoming { return incoming{chatID: chat, pressed: pressed} }
	count := func() (sent, edits int) {
		return len(e.api.Calls("sendMessage", "sendPhoto")), len(e.api.Calls("editMessageText", "editMessageCaption"))
	}

	// Text message, Edit reply → editMessageText on the pressed message.
	page := send(bot.Reply{Text: "page 1", Buttons: kb("cat:1:1")})
	s0, _ := count()
	e.a.render(ctx, in(page), []bot.Reply{{Text: "page 2 & more", Buttons: kb("cat:1:0"), Edit: true}})
	if s, ed := count(); s != s0 || ed != 1 {
		t.Fatalf("sent %d edits %d, want an edit only", s-s0, ed)
	}
	call := e.api.Calls("editMessageText")[0].Params
	if call.Get("message_id") != itoa(int64(page.MessageID)) || call.Get("text") != "page 2 &amp; more" || !strings.Contains(call.Get("reply_markup"), "cat:1:0") {
		t.Errorf("editMessageText params %v", call)
	}

	// Photo card, Edit reply with the image → editMessageCaption.
	card := send(bot.Reply{Text: "Serum 1 pcs", Image: "/img/demo:COS-001.png", Buttons: kb("q:1:2")})
	e.a.render(ctx, in(card), []bot.Reply{{Text: "Serum 2 pcs", Image: "/img/demo:COS-001.png", Buttons: kb("q:1:3"), Edit: true}})
	if n := e.api.Count("editMessageCaption"); n != 1 {
		t.Fatalf("editMessageCaption = %d, want 1", n)
	}

	// The same content again (double tap): "message is not modified" is fine.
	s0, _ = count()
	e.a.render(ctx, in(card), []bot.Reply{{Text: "Serum 2 pcs", Image: "/img/demo:COS-001.png", Buttons: kb("q:1:3"), Edit: true}})
	if s, _ := count(); s != s0 || e.events.get(EventSendFailed) != 0 {
		t.Errorf("not-modified edit: %d new messages, events %v", s-s0, e.events.n)
	}

	// A text reply pressed on a photo (back to the category list) cannot be
	// an edit: new message.
	s0, ed0 := count()
	e.a.render(ctx, in(card), []bot.Reply{{Text: "Category", Buttons: kb("p:1"), Edit: true}})
	if s, ed := count(); s != s0+1 || ed != ed0 {
		t.Errorf("photo→text: sent %d edits %d", s-s0, ed-ed0)
	}

	// Telegram refuses the edit (message too old/deleted): new message.
	e.api.Inject("editMessageText", fault{Code: 400, Desc: "Bad Request: message can't be edited"})
	s0, _ = count()
	e.a.render(ctx, in(page), []bot.Reply{{Text: "page 3", Buttons: kb("cat:1:2"), Edit: true}})
	if s, _ := count(); s != s0+1 || e.events.get(EventEditFallback) != 1 {
		t.Errorf("refused edit: %d new messages, events %v", s-s0, e.events.n)
	}

	// Only the first Edit reply edits; a typed message (no pressed message)
	// never edits.
	s0, ed0 = count()
	e.a.render(ctx, in(page), []bot.Reply{{Text: "a", Edit: true}, {Text: "b", Edit: true}})
	e.a.render(ctx, in(nil), []bot.Reply{{Text: "c", Edit: true}})
	if s, ed := count(); s != s0+2 || ed != ed0+1 {
		t.Errorf("sent %d edits %d, want 2 and 1", s-s0, ed-ed0)
	}

	// Too long for one message: sent new.
	s0, _ = count()
	e.a.render(ctx, in(page), []bot.Reply{{Text: strings.Repeat("x", MaxTextLen+1), Edit: true}})
	if s, _ := count(); s != s0+2 {
		t.Errorf("long edit: %d new messages, want 2", s-s0)
	}
}

// TestNoOpEdits: a press whose reply is what the pressed message already
// shows (text or caption as Telegram returns it, and the same inline
// keyboard) makes no edit call — the Bot API would answer 400 "message is
// not modified" — and when the message changed since the press into the
// reply, that 400 counts as done.
func TestNoOpEdits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter())
	ctx := context.Background()
	const chat = 1001
	send := func(r bot.Reply) fakeMsg {
		t.Helper()
		if err := e.a.SendReply(ctx, itoa(chat), r); err != nil {
			t.Fatal(err)
		}
		m, _ := e.api.Last(chat)
		return m
	}
	kb := func(a string) [][]bot.Button {
		return [][]bot.Button{{{Text: a + " <b>", Action: a}, {Text: "site", URL: "https://shop.example/x"}}}
	}
	in := func(m fakeMsg) incoming { return incoming{chatID: chat, pressed: e.api.asMessage(m)} }
	calls := func() int {
		return len(e.api.Calls("editMessageText", "editMessageCaption", "sendMessage", "sendPhoto"))
	}

	page := send(bot.Reply{Text: "Page 1 & <more>", Buttons: kb("cat:1:0")})
	card := send(bot.Reply{Text: "Serum", Image: "/img/demo:COS-001.png", Buttons: kb("q:1:1")})
	for _, tc := range []struct {
		name    string
		pressed fakeMsg
		reply   bot.Reply
	}{
		{"same text and keyboard", page, bot.Reply{Text: "Page 1 & <more>", Buttons: kb("cat:1:0"), Edit: true}},
		{"same text but for the spaces Telegram trims", page, bot.Reply{Text: "Page 1 & <more>\n", Buttons: kb("cat:1:0"), Edit: true}},
		{"same caption and keyboard", card, bot.Reply{Text: "Serum", Image: "/img/demo:COS-001.png", Buttons: kb("q:1:1"), Edit: true}},
	} {
		before, unchanged := calls(), e.events.get(EventEditUnchanged)
		e.a.render(ctx, in(tc.pressed), []bot.Reply{tc.reply})
		if n := calls() - before; n != 0 {
			t.Errorf("%s: %d calls, want none", tc.name, n)
		}
		if e.events.get(EventEditUnchanged) != unchanged+1 {
			t.Errorf("%s: not counted as unchanged", tc.name)
		}
	}

	// Another keyboard (or text) is an edit.
	e.a.render(ctx, in(page), []bot.Reply{{Text: "Page 1 & <more>", Buttons: kb("cat:1:1"), Edit: true}})
	if n := e.api.Count("editMessageText"); n != 1 {
		t.Fatalf("keyboard change: %d edits, want 1", n)
	}
	// The press was on the message before that edit; the reply is what it
	// shows now. The edit is made and answered "not modified": done, no
	// new message, nothing failed.
	before := len(e.api.Messages(chat))
	e.a.render(ctx, in(page), []bot.Reply{{Text: "Page 1 & <more>", Buttons: kb("cat:1:1"), Edit: true}})
	edits := e.api.Calls("editMessageText")
	if len(edits) != 2 || edits[1].Status != 400 {
		t.Fatalf("raced edit: calls %+v", edits)
	}
	if len(e.api.Messages(chat)) != before || e.events.get(EventSendFailed) != 0 || e.events.get(EventEditFallback) != 0 {
		t.Errorf("not-modified answer: %d new messages, events %v", len(e.api.Messages(chat))-before, e.events.n)
	}
}

// TestNoOpPressAnswered: through the router, pressing − at quantity 1 or
// the quantity label of a product card changes nothing: no edit call, no
// message, and the callback query is answered with a short hint.
func TestNoOpPressAnswered(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deliver(t, textUpdate(1, private(alice), alice, "/start"))
	menu := e.api.Messages(alice.ID)[0]
	e.press(t, 2, alice, menu, "p:1")
	card, _ := e.api.Last(alice.ID)
	if card.Photo == "" || len(card.Markup) == 0 || len(card.Markup[0]) != 3 {
		t.Fatalf("card = %+v", card)
	}
	minus, label := card.Markup[0][0].CallbackData, card.Markup[0][1].CallbackData
	if !strings.HasPrefix(minus, "qn:") || !strings.HasPrefix(label, "qn:") {
		t.Fatalf("at quantity 1 − is %q and the label %q; want the no-change verb", minus, label)
	}
	sent := len(e.api.Messages(alice.ID))
	answered := e.api.Count("answerCallbackQuery")
	for i, data := range []string{label, minus} {
		e.press(t, 3+i, alice, card, data)
	}
	if n := len(e.api.Calls("editMessageText", "editMessageCaption", "editMessageReplyMarkup")); n != 0 {
		t.Errorf("%d edit calls for presses that change nothing", n)
	}
	if n := e.api.Count("answerCallbackQuery") - answered; n != 2 {
		t.Errorf("%d callback queries answered, want 2", n)
	}
	for _, c := range e.api.Calls("answerCallbackQuery")[answered:] {
		if c.Params.Get("text") == "" {
			t.Errorf("a press that changes nothing answered without a hint: %v", c.Params)
		}
	}
	if n := len(e.api.Messages(alice.ID)) - sent; n != 0 {
		t.Errorf("%d new messages", n)
	}
}
