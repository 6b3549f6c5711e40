package bot

import (
	"context"
	"errors"
	"time"

	"shopbot/commerce"
)

// Search first, then a person. Free text is a catalog search (search.go);
// with nothing found, or when the buyer taps "Ask the seller" or sends
// /human, the message goes to the sellers (Options.Admins) as a
// conversation (commerce.Questions), with the buyer's language and recent
// orders (NoticeQuestion). After asking, the buyer's free text is added to
// the same conversation until they tap "Done" or askIdle passes without a
// message (a command or a button still works meanwhile; a step of another
// feature replaces this one). Sellers answer by replying to the passed-on
// message in Telegram, with /reply N text, with the "Answer" button, or
// from the console; the answer reaches the buyer in the chat they asked
// from (NoticeAnswer). Sellers' commands are in questionseller.go.
//
//	/human [text]      send text (or what is typed next) to the sellers
//	qask               "Ask the seller": send the text the search did not find
//	qend               done adding to the question
//	qmore:<conv>       reply to a seller's answer: what is typed next is added

// Verbs of asking the sellers.
const (
	VerbAskSeller Verb = "qask"
	VerbAskDone   Verb = "qend"
	VerbAskMore   Verb = "qmore"
)

// CmdHuman sends a message to the sellers.
const CmdHuman Command = "/human"

// stepAsk awaits the buyer's message to the sellers (QuestionsState.Conv).
const stepAsk Step = "q_ask"

// askIdle is how long after their last message a buyer's free text is
// still added to their question.
const askIdle = 30 * time.Minute

// QuestionsState is the part of the session of search and questions.
type QuestionsState struct {
	// Draft is the buyer's last searched text, sent by "Ask the seller".
	Draft string `json:"d,omitempty"`
	// Conv is the conversation the buyer's typed text is added to while
	// stepAsk is awaited (0: their recent one, or a new one), until Until
	// (unix seconds).
	Conv  int64 `json:"c,omitempty"`
	Until int64 `json:"u,omitempty"`
	// Answer is the conversation a seller is typing an answer to (stepAnswer).
	Answer int64 `json:"a,omitempty"`
	// Asked is the WeChat buyer's latest conversation, and Touched when
	// (unix seconds) their last message was recorded in it: any message
	// of theirs reopens WeChat's window for answers (seenAsker).
	Asked   int64 `json:"k,omitempty"`
	Touched int64 `json:"t,omitempty"`
}

// touchEvery bounds how often a WeChat buyer's messages are recorded in
// their conversation: the window for answers is true to about this much.
const touchEvery = 10 * time.Minute

// seenAsker records a WeChat buyer's message in their latest conversation
// (at most every touchEvery): WeChat counts its 48-hour window for answers
// from the buyer's last message of any kind. A failure is logged: the
// window is then counted from an earlier message, the safe side.
func (r *Router) seenAsker(ctx context.Context, s *Session, m Message) {
	q := s.Questions
	if r.o.Questions == nil || m.Channel != ChannelWeChat || m.Group || q.Asked == 0 {
		return
	}
	now := r.o.Questions.Now()
	if now.Unix()-q.Touched < int64(touchEvery/time.Second) {
		return
	}
	if err := r.o.Questions.Touch(ctx, q.Asked, commerce.Buyer{Channel: m.Channel, UserID: m.UserID}); err != nil {
		r.o.Log.WarnContext(ctx, "question: buyer's message not recorded", "err", r.ScrubError(err, m.UserID, m.ChatID))
		return
	}
	s.Questions.Touched = now.Unix()
}

// questionsHandler is search first, then a person.
type questionsHandler struct {
	shop      *commerce.Shop
	questions *commerce.Questions // nil: search only
}

func (h *questionsHandler) routes() routes {
	return routes{texts: []inputFunc{h.search}}
}

// askRoutes are the buyers' routes of questions.
func (h *questionsHandler) askRoutes() routes {
	return routes{
		commands: map[Command]commandFunc{CmdHuman: func(t *turn, arg string) ([]Reply, error) {
			if arg == "" {
				return h.prompt(t, 0)
			}
			return h.ask(t, arg, 0)
		}},
		actions: map[Verb]actionFunc{
			VerbAskSeller: func(t *turn, _ args) ([]Reply, error) {
				if draft := t.s.Questions.Draft; draft != "" {
					return h.ask(t, draft, 0)
				}
				return h.prompt(t, 0)
			},
			VerbAskDone: func(t *turn, _ args) ([]Reply, error) {
				h.leave(t)
				return say(t.text("question_done", nil), t.mainMenu()...), nil
			},
			VerbAskMore: func(t *turn, a args) ([]Reply, error) {
				id, ok := a.id(0)
				if !ok || len(a) != 1 {
					return t.stale()
				}
				return h.prompt(t, id)
			},
		},
		steps: map[Step]stepFunc{stepAsk: h.askStep},
	}
}

// leave stops adding the buyer's text to a question.
func (h *questionsHandler) leave(t *turn) {
	t.s.leaveStep(stepAsk)
	t.s.Questions.Conv, t.s.Questions.Until = 0, 0
}

// await adds the buyer's next messages to conversation conv (0: theirs or a new one).
func (h *questionsHandler) await(t *turn, conv int64) {
	t.s.setStep(stepAsk)
	t.s.Questions.Conv, t.s.Questions.Until = conv, h.questions.Now().Add(askIdle).Unix()
}

// prompt asks the buyer to type their message.
func (h *questionsHandler) prompt(t *turn, conv int64) ([]Reply, error) {
	if t.m.Group {
		return say(t.text("question_private", nil)), nil
	}
	h.await(t, conv)
	return say(t.text("question_prompt", nil), []Button{t.btn("btn_question_cancel", VerbAskDone.Of())}), nil
}

// askStep takes typed text while a question is open: added to it, or,
// once the buyer has been idle askIdle, routed as free text again.
func (h *questionsHandler) askStep(t *turn, text string) ([]Reply, error) {
	if h.questions.Now().Unix() > t.s.Questions.Until || commerce.OptOutWord(text) {
		// Idle too long, or an opt-out word: not for the sellers.
		h.leave(t)
		if r, ok, err := t.firstOf(t.r.routes.texts, text); ok || err != nil {
			return r, err
		}
		return t.help("help_unknown")
	}
	return h.ask(t, text, t.s.Questions.Conv)
}

// ask sends text to the sellers, continuing conversation conv (0: the
// buyer's recent one, or a new one).
func (h *questionsHandler) ask(t *turn, text string, conv int64) ([]Reply, error) {
	if t.m.Group {
		return say(t.text("question_private", nil)), nil
	}
	c, _, err := h.questions.Ask(t.ctx, commerce.Asker{Buyer: t.buyer(), ChatID: t.m.ChatID, Name: t.m.FirstName, Lang: t.lang}, text, conv)
	switch {
	case errors.Is(err, commerce.ErrInvalid):
		h.await(t, conv)
		return say(t.text("question_prompt", nil), []Button{t.btn("btn_question_cancel", VerbAskDone.Of())}), nil
	case errors.Is(err, commerce.ErrTooManyQuestions):
		h.leave(t)
		return t.fail(err)
	case err != nil:
		return nil, err
	}
	t.s.Questions.Draft = ""
	if t.m.Channel == ChannelWeChat {
		t.s.Questions.Asked, t.s.Questions.Touched = c.ID, h.questions.Now().Unix()
	}
	h.await(t, c.ID)
	return say(t.text("question_sent", map[string]any{"N": c.ID}),
		[]Button{t.btn("btn_question_done", VerbAskDone.Of())}, []Button{t.btn("btn_shop", VerbCategories.Of()), t.cartButton()}), nil
}
