package bot_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/commerce"
)

const questionSeller = "900"

func newQuestionsHarness(t *testing.T, limits commerce.QuestionLimits) *harness {
	t.Helper()
	return newHarness(t, harnessOptions{questions: true, questionLimits: limits,
		admins: []string{"tg:" + questionSeller, "web:desk"}})
}

// onlyConversation is the one conversation of the harness's store.
func (h *harness) onlyConversation() commerce.Conversation {
	h.t.Helper()
	all, err := h.questions.Recent(h.ctx, 10)
	if err != nil || len(all) != 1 {
		h.t.Fatalf("conversations %+v, %v; want one", all, err)
	}
	c, err := h.questions.Conversation(h.ctx, all[0].ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// notice renders a question notice as the job would.
func (h *harness) questionNotice(n bot.Notice) []bot.Reply {
	h.t.Helper()
	r, err := h.router.RenderNotice(h.ctx, n)
	if err != nil {
		h.t.Fatalf("RenderNotice(%+v): %v", n, err)
	}
	checkRoutes(h.t, h.router, bot.Message{}, r)
	return r
}

func lastMessage(c commerce.Conversation) commerce.ConversationMessage {
	return c.Messages[len(c.Messages)-1]
}

// TestAskTheSeller: nothing found → "Ask the seller" → the sellers get the
// question with the buyer's language and orders → a seller's Telegram
// reply answers it → the buyer gets the answer and may reply.
func TestAskTheSeller(t *testing.T) {
	t.Parallel()
	h := newQuestionsHarness(t, commerce.QuestionLimits{})
	buyer := h.user(t, "asker", "ru")
	r := buyer.send("Доставляете в Москву?")
	wantText(t, r, 0, buyer.nothingFound())
	sent := buyer.press(findAction(t, r[0], bot.VerbAskSeller.Of()))
	c := h.onlyConversation()
	wantText(t, sent, 0, buyer.tx("question_sent", map[string]any{"N": c.ID}))
	if c.Buyer.Channel != "web" || c.Lang != "ru" || len(c.Messages) != 1 || c.Messages[0].Body != "Доставляете в Москву?" {
		t.Fatalf("conversation %+v", c)
	}
	// Free text now adds to the question, not a search.
	wantText(t, buyer.send("И в Казань?"), 0, buyer.tx("question_sent", map[string]any{"N": c.ID}))
	c = h.onlyConversation()
	if len(c.Messages) != 2 {
		t.Fatalf("follow-up not added: %+v", c.Messages)
	}

	// The seller's notice: the buyer's language, no orders, the text.
	n := h.questionNotice(bot.Notice{Kind: bot.NoticeQuestion, Channel: "tg", ChatID: questionSeller, UserID: questionSeller,
		ConversationID: c.ID, MessageID: c.Messages[0].ID})
	if len(n) != 1 || n[0].Conversation != c.ID || !strings.Contains(n[0].Text, "Доставляете в Москву?") ||
		!strings.Contains(n[0].Text, "Русский") || !strings.Contains(n[0].Text, "/reply "+strconv.FormatInt(c.ID, 10)) {
		t.Fatalf("seller notice %+v", n)
	}
	// The seller replies to it in Telegram (the app remembered its id).
	if err := h.questions.Remember(h.ctx, "tg", questionSeller, "4711", c.ID); err != nil {
		t.Fatal(err)
	}
	seller := h.tgUser(t, questionSeller, "en")
	m := seller.base
	m.Text, m.ReplyTo = "Да, за 10 дней.", "4711"
	wantText(t, seller.must(m), 0, seller.tx("answer_sent", map[string]any{"N": c.ID}))
	c = h.onlyConversation()
	if c.Status != commerce.ConversationAnswered || lastMessage(c).Author != "tg:"+questionSeller || lastMessage(c).Direction != commerce.DirectionOut {
		t.Fatalf("after the answer: %+v", c)
	}
	// The buyer's notice, in their language, with a Reply button.
	a := h.questionNotice(bot.Notice{Kind: bot.NoticeAnswer, Channel: "web", ChatID: "asker", UserID: "asker", ConversationID: c.ID, MessageID: lastMessage(c).ID})
	wantText(t, a, 0, buyer.tx("answer_notice", map[string]any{"N": c.ID, "Text": "Да, за 10 дней."}))
	more := buyer.press(findAction(t, a[0], bot.VerbAskMore.Of(c.ID)))
	wantText(t, more, 0, buyer.tx("question_prompt", nil))
	buyer.send("Спасибо!")
	if c = h.onlyConversation(); c.Status != commerce.ConversationOpen || len(c.Messages) != 4 {
		t.Fatalf("the buyer's reply: %+v", c)
	}
	// Done: free text is a search again.
	wantText(t, buyer.press(bot.VerbAskDone.Of()), 0, buyer.tx("question_done", nil))
	wantText(t, buyer.send("сыворотка"), 0, buyer.tx("search_results", map[string]any{"N": 1}))
	// A reply to some other message of the bot is not an answer.
	m.Text, m.ReplyTo = "serum", "1"
	if r := seller.must(m); r[0].Text == seller.tx("answer_sent", map[string]any{"N": c.ID}) {
		t.Fatal("a reply to an unrelated message answered a question")
	}
}

// TestHumanAndReplyCommands: /human with and without text, /reply N text,
// /questions, and what they refuse.
func TestHumanAndReplyCommands(t *testing.T) {
	t.Parallel()
	h := newQuestionsHarness(t, commerce.QuestionLimits{})
	buyer := h.user(t, "human", "en")
	wantText(t, buyer.send("/human"), 0, buyer.tx("question_prompt", nil))
	r := buyer.send("Is the serum original?")
	c := h.onlyConversation()
	wantText(t, r, 0, buyer.tx("question_sent", map[string]any{"N": c.ID}))
	if c.Messages[0].Body != "Is the serum original?" {
		t.Fatalf("message %+v", c.Messages)
	}
	wantText(t, buyer.send("/human And the cream?"), 0, buyer.tx("question_sent", map[string]any{"N": c.ID}))
	wantText(t, buyer.inGroup("g1").send("/human hi"), 0, buyer.tx("question_private", nil))

	desk := h.user(t, "desk", "en") // a seller (web identities are trusted in these tests)
	list := desk.send("/questions")
	wantText(t, list, 0, desk.tx("questions_open", map[string]any{"N": 1}))
	thread := desk.press(findAction(t, list[0], bot.VerbQuestionShow.Of(c.ID)))
	if !strings.Contains(thread[0].Text, "Is the serum original?") || !strings.Contains(thread[0].Text, "And the cream?") {
		t.Fatalf("thread:\n%s", thread[0].Text)
	}
	n := strconv.FormatInt(c.ID, 10)
	for _, tc := range []struct{ cmd, want string }{
		{"/reply", "reply_usage"},
		{"/reply x hello", "reply_usage"},
		{"/reply -1 hello", "reply_usage"},
		{"/reply 424242 hello", "question_unknown"},
		{"/reply " + n, "answer_prompt"},
	} {
		wantText(t, desk.send(tc.cmd), 0, desk.tx(tc.want, map[string]any{"N": map[bool]int64{true: c.ID, false: 424242}[tc.want != "question_unknown"]}))
	}
	// After "/reply N" alone, the next message is the answer.
	wantText(t, desk.send("Yes, with a certificate."), 0, desk.tx("answer_sent", map[string]any{"N": c.ID}))
	wantText(t, desk.send("/reply #"+n+" And the cream too."), 0, desk.tx("answer_sent", map[string]any{"N": c.ID}))
	if c = h.onlyConversation(); len(c.Messages) != 4 || c.Status != commerce.ConversationAnswered {
		t.Fatalf("after two answers: %+v", c)
	}
	wantText(t, desk.send("/questions"), 0, desk.tx("questions_none", nil))
	// Buyers have no seller commands.
	wantText(t, buyer.send("/reply "+n+" hi"), 0, buyer.tx("help_unknown", nil))
	wantText(t, buyer.send("/questions"), 0, buyer.tx("help_unknown", nil))
}

// TestQuestionLimitsAndIdle: a flood is refused in the buyer's words; an
// idle buyer's text is searched again.
func TestQuestionLimitsAndIdle(t *testing.T) {
	t.Parallel()
	h := newQuestionsHarness(t, commerce.QuestionLimits{NewPerDay: 1, PerHour: 2})
	buyer := h.user(t, "flood", "zh-CN")
	buyer.send("/human 你好")
	buyer.send("在吗")
	r := buyer.send("在吗？？")
	if !strings.HasPrefix(r[0].Text, buyer.tx("question_too_many", nil)) {
		t.Fatalf("third message in an hour: %q", r[0].Text)
	}
	if c := h.onlyConversation(); len(c.Messages) != 2 {
		t.Fatalf("%d messages stored; want 2", len(c.Messages))
	}
	// The limit left the question: free text is a search again.
	wantText(t, buyer.send("精华液"), 0, buyer.tx("search_results", map[string]any{"N": 1}))

	other := h.user(t, "idle", "en")
	other.send("/human hello")
	h.clock.Advance(31 * time.Minute)
	wantText(t, other.send("serum"), 0, other.tx("search_results", map[string]any{"N": 1}))
	// Opt-out words are never a question.
	other.send("/human hello again")
	if r := other.send("stop"); strings.HasPrefix(r[0].Text, other.tx("question_sent", map[string]any{"N": 1})[:10]) {
		t.Fatalf("an opt-out word went to the sellers: %q", r[0].Text)
	}
}

// TestWeChatAnswerWindow: WeChat buyers can be answered for 48 hours after
// their last message; after that the seller is told and nothing is sent.
func TestWeChatAnswerWindow(t *testing.T) {
	t.Parallel()
	h := newQuestionsHarness(t, commerce.QuestionLimits{})
	buyer := h.wxUser(t, "oWxBuyer", "zh-CN")
	buyer.send("/human 有现货吗")
	c := h.onlyConversation()
	desk := h.user(t, "desk", "en")
	n := strconv.FormatInt(c.ID, 10)
	h.clock.Advance(47 * time.Hour)
	wantText(t, desk.send("/reply "+n+" Yes."), 0, desk.tx("answer_sent", map[string]any{"N": c.ID}))
	h.clock.Advance(2 * time.Hour) // 49 hours after the buyer's message
	r := desk.send("/reply " + n + " Anything else?")
	wantText(t, r, 0, desk.tx("answer_outside_window", map[string]any{"N": c.ID, "Channel": desk.tx("link_channel_wx", nil)}))
	if got := h.onlyConversation(); len(got.Messages) != 2 {
		t.Fatalf("an undeliverable answer was stored: %+v", got.Messages)
	}
	// Any message of the buyer opens the window again: a search, 40
	// hours later an answer is still delivered.
	buyer.send("精华液")
	h.clock.Advance(40 * time.Hour)
	wantText(t, desk.send("/reply "+n+" OK."), 0, desk.tx("answer_sent", map[string]any{"N": c.ID}))
	// Telegram and web buyers have no such window.
	if !commerce.Deliverable(commerce.Conversation{Buyer: commerce.Buyer{Channel: "tg"}}, h.clock.Now().Add(1000*time.Hour)) {
		t.Fatal("a Telegram buyer undeliverable")
	}
}

func FuzzParseReply(f *testing.F) {
	for _, s := range []string{"12 hello", "#12 hi there", "12", "12\nanswer", "x 1", "", "-5 a", "99999999999999999999 a", "1\t2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, text, ok := bot.ParseReply(s)
		if !ok {
			if id != 0 || text != "" {
				t.Fatalf("ParseReply(%q) = %d, %q, false", s, id, text)
			}
			return
		}
		if id <= 0 || text != strings.TrimSpace(text) {
			t.Fatalf("ParseReply(%q) = %d, %q", s, id, text)
		}
		if !strings.Contains(s, strconv.FormatInt(id, 10)) {
			t.Fatalf("ParseReply(%q) = %d: not in the input", s, id)
		}
	})
}
