package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"shopbot/commerce"
	"shopbot/templates"
)

// The sellers' side of questions: each buyer's message comes as a notice
// (NoticeQuestion) with an "Answer" button; a reply to that message in
// Telegram answers it (Message.ReplyTo, the message remembered through
// Reply.Conversation), and so does /reply N text in any private chat of a
// seller. /questions lists the conversations awaiting an answer.
//
//	/reply N [text]    answer conversation N (without text: what is typed next)
//	/questions         the conversations awaiting an answer
//	qans:<conv>        answer: what is typed next (step q_answer)
//	qanx               don't answer after all
//	qshow:<conv>       a conversation's messages

// Verbs of answering questions.
const (
	VerbQuestionAnswer Verb = "qans"
	VerbQuestionCancel Verb = "qanx"
	VerbQuestionShow   Verb = "qshow"
)

// Commands of answering questions.
const (
	CmdReply     Command = "/reply"
	CmdQuestions Command = "/questions"
)

// stepAnswer awaits a seller's answer to QuestionsState.Answer.
const stepAnswer Step = "q_answer"

// threadShown is how many of a conversation's last messages are shown.
const threadShown = 10

// answerer: a seller in a private chat.
func (h *questionsHandler) answerer(t *turn) bool { return t.isAdmin() && !t.m.Group }

// sellerRoutes are the sellers' routes of questions.
func (h *questionsHandler) sellerRoutes() routes {
	conv := func(f func(t *turn, id int64) ([]Reply, error)) actionFunc {
		return func(t *turn, a args) ([]Reply, error) {
			id, ok := a.id(0)
			if !ok || len(a) != 1 || !h.answerer(t) {
				return t.stale()
			}
			return f(t, id)
		}
	}
	return routes{
		commands: map[Command]commandFunc{CmdReply: h.replyCommand, CmdQuestions: h.list},
		actions: map[Verb]actionFunc{
			VerbQuestionAnswer: conv(h.promptAnswer),
			VerbQuestionShow:   conv(h.show),
			VerbQuestionCancel: func(t *turn, _ args) ([]Reply, error) {
				t.s.leaveStep(stepAnswer)
				t.s.Questions.Answer = 0
				return h.list(t, "")
			},
		},
		steps: map[Step]stepFunc{stepAnswer: func(t *turn, text string) ([]Reply, error) {
			id := t.s.Questions.Answer
			t.s.leaveStep(stepAnswer)
			t.s.Questions.Answer = 0
			if id == 0 || !h.answerer(t) {
				return t.help("help_unknown")
			}
			return h.answer(t, id, text)
		}},
		// A reply to a passed-on question answers it, whatever step the
		// seller's chat awaits.
		codes: []inputFunc{h.replied},
	}
}

// ParseReply reads the argument of "/reply N text": the conversation
// number (a leading "#" allowed) and the answer, which may be empty. ok
// is false when there is no valid number.
func ParseReply(arg string) (id int64, text string, ok bool) {
	arg = strings.TrimSpace(arg)
	num, rest, _ := strings.Cut(arg, " ")
	if i := strings.IndexAny(num, "\n\t"); i >= 0 { // "/reply 12\nanswer"
		num, rest = num[:i], num[i+1:]+" "+rest
	}
	num = strings.TrimPrefix(num, "#")
	if num == "" || len(num) > 18 || strings.Trim(num, "0123456789") != "" {
		return 0, "", false
	}
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || id <= 0 {
		return 0, "", false
	}
	return id, strings.TrimSpace(rest), true
}

func (h *questionsHandler) replyCommand(t *turn, arg string) ([]Reply, error) {
	if !h.answerer(t) {
		return t.help("help_unknown")
	}
	id, text, ok := ParseReply(arg)
	if !ok {
		return say(t.text("reply_usage", nil)), nil
	}
	if text == "" {
		return h.promptAnswer(t, id)
	}
	return h.answer(t, id, text)
}

// replied answers the conversation of the message a seller replied to;
// a reply to any other message is not this feature's.
func (h *questionsHandler) replied(t *turn, text string) ([]Reply, bool, error) {
	if t.m.ReplyTo == "" || !h.answerer(t) {
		return nil, false, nil
	}
	id, err := h.questions.ByRef(t.ctx, t.m.Channel, t.m.ChatID, t.m.ReplyTo)
	if errors.Is(err, commerce.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	r, err := h.answer(t, id, text)
	return r, true, err
}

// promptAnswer awaits the seller's answer to conversation id.
func (h *questionsHandler) promptAnswer(t *turn, id int64) ([]Reply, error) {
	if _, err := h.questions.Conversation(t.ctx, id); errors.Is(err, commerce.ErrNotFound) {
		return say(t.text("question_unknown", map[string]any{"N": id})), nil
	} else if err != nil {
		return nil, err
	}
	t.s.setStep(stepAnswer)
	t.s.Questions.Answer = id
	return say(t.text("answer_prompt", map[string]any{"N": id}), []Button{t.btn("btn_question_cancel", VerbQuestionCancel.Of())}), nil
}

// answer sends a seller's answer to the buyer of conversation id.
func (h *questionsHandler) answer(t *turn, id int64, text string) ([]Reply, error) {
	c, _, err := h.questions.Answer(t.ctx, id, t.identity(), text)
	switch {
	case errors.Is(err, commerce.ErrNotFound):
		return say(t.text("question_unknown", map[string]any{"N": id})), nil
	case errors.Is(err, commerce.ErrInvalid):
		return h.promptAnswer(t, id)
	case errors.Is(err, commerce.ErrOutsideWindow):
		return say(t.text("answer_outside_window", map[string]any{"N": id, "Channel": h.channelName(t, c.Buyer.Channel)}),
			[]Button{t.btn("btn_question_show", VerbQuestionShow.Of(id))}), nil
	case err != nil:
		return nil, err
	}
	return say(t.text("answer_sent", map[string]any{"N": id}), []Button{t.btn("btn_question_show", VerbQuestionShow.Of(id))}), nil
}

// list answers /questions: the conversations awaiting an answer.
func (h *questionsHandler) list(t *turn, _ string) ([]Reply, error) {
	if !h.answerer(t) {
		return t.help("help_unknown")
	}
	open, err := h.questions.Open(t.ctx, 20)
	if err != nil {
		return nil, err
	}
	if len(open) == 0 {
		return say(t.text("questions_none", nil)), nil
	}
	rows := make([][]Button, 0, len(open))
	for _, c := range open {
		rows = append(rows, []Button{{Text: t.text("question_button", map[string]any{"N": c.ID, "Name": h.buyerName(t, c),
			"Channel": h.channelName(t, c.Buyer.Channel)}), Action: VerbQuestionShow.Of(c.ID)}})
	}
	return say(t.text("questions_open", map[string]any{"N": len(open)}), rows...), nil
}

// show is a conversation's last messages with the seller's buttons.
func (h *questionsHandler) show(t *turn, id int64) ([]Reply, error) {
	c, err := h.questions.Conversation(t.ctx, id)
	if errors.Is(err, commerce.ErrNotFound) {
		return say(t.text("question_unknown", map[string]any{"N": id})), nil
	}
	if err != nil {
		return nil, err
	}
	data, err := h.askerData(t, c)
	if err != nil {
		return nil, err
	}
	type line struct {
		Buyer bool
		At    string
		Text  string
	}
	msgs := c.Messages
	if len(msgs) > threadShown {
		msgs = msgs[len(msgs)-threadShown:]
	}
	var lines []line
	for _, m := range msgs {
		lines = append(lines, line{Buyer: m.Direction == commerce.DirectionIn, At: t.date(m.At, t.r.o.TimeZone.String()), Text: m.Body})
	}
	data["Lines"], data["Answered"] = lines, c.Status == commerce.ConversationAnswered
	rows := [][]Button{{t.btn("btn_question_answer", VerbQuestionAnswer.Of(id))}}
	return say(t.text("question_thread", data), rows...), nil
}

// askerData describes a conversation's buyer to a seller: number, name,
// channel, language and their recent orders.
func (h *questionsHandler) askerData(t *turn, c commerce.Conversation) (map[string]any, error) {
	orders, err := h.shop.Store().OrdersByBuyer(t.ctx, c.Buyer, 3)
	if err != nil {
		return nil, err
	}
	type order struct{ Number, Status string }
	var list []order
	for _, o := range orders {
		list = append(list, order{o.Number, t.text("status_"+string(o.Status), nil)})
	}
	return map[string]any{"N": c.ID, "Name": h.buyerName(t, c), "Channel": h.channelName(t, c.Buyer.Channel),
		"Lang": t.r.o.Texts.Text(langKey(c.Lang), "lang_name", nil), "Orders": list}, nil
}

func langKey(lang string) string {
	if l := templates.Match(lang); l != "" {
		return l
	}
	return templates.Default
}

func (h *questionsHandler) buyerName(t *turn, c commerce.Conversation) string {
	if c.BuyerName != "" {
		return c.BuyerName
	}
	return t.text("question_buyer_unnamed", nil)
}

func (h *questionsHandler) channelName(t *turn, channel string) string {
	key := "link_channel_" + channel
	if !t.r.o.Texts.Has(key) {
		key = "link_channel_other"
	}
	return t.text(key, nil)
}

// renderNotice renders NoticeQuestion (to a seller) and NoticeAnswer (to
// the buyer). A message no longer in its conversation renders nothing.
func (h *questionsHandler) renderNotice(r *Router, ctx context.Context, n Notice) ([]Reply, error) {
	if h.questions == nil {
		return nil, errors.New("bot: question notices need Options.Questions")
	}
	if n.ConversationID <= 0 || n.MessageID <= 0 {
		return nil, fmt.Errorf("bot: %s notice without a conversation and message: %w", n.Kind, commerce.ErrInvalid)
	}
	c, err := h.questions.Conversation(ctx, n.ConversationID)
	if err != nil {
		return nil, ignoreGone(err)
	}
	var msg commerce.ConversationMessage
	for _, m := range c.Messages {
		if m.ID == n.MessageID {
			msg = m
		}
	}
	if msg.ID == 0 {
		return nil, nil
	}
	lang := templates.Match(n.Lang)
	switch {
	case lang != "":
	case n.Kind == NoticeAnswer:
		lang = templates.Match(c.Lang)
	default: // a seller: the language of their chat, when known
		lang = templates.Match(r.chatLang(ctx, n.Channel, n.UserID))
	}
	if lang == "" {
		lang = templates.Default
	}
	t := &turn{r: r, ctx: ctx, s: &Session{Lang: lang}, lang: lang, m: Message{Channel: n.Channel, ChatID: n.ChatID, UserID: n.UserID}}
	if n.Kind == NoticeAnswer {
		return say(t.text("answer_notice", map[string]any{"N": c.ID, "Text": msg.Body}),
			[]Button{t.btn("btn_question_more", VerbAskMore.Of(c.ID))}, []Button{t.btn("btn_shop", VerbCategories.Of()), t.cartButton()}), nil
	}
	data, err := h.askerData(t, c)
	if err != nil {
		return nil, err
	}
	data["Text"], data["More"] = msg.Body, len(c.Messages) > 1 && c.Messages[0].ID != msg.ID
	data["Telegram"] = n.Channel == ChannelTelegram
	return []Reply{{Text: t.text("question_notice", data), Conversation: c.ID,
		Buttons: [][]Button{{t.btn("btn_question_answer", VerbQuestionAnswer.Of(c.ID)), t.btn("btn_question_show", VerbQuestionShow.Of(c.ID))}}}}, nil
}
