package admin

import (
	"errors"
	"net/http"
	"strconv"

	"shopbot/commerce"
)

// The questions page: buyers' conversations with the sellers, those
// awaiting an answer first, and answering one from the console — the
// answer reaches the buyer in their chat as a reply from the chat does
// (Options.Questions).

func (c *Console) registerQuestions(mux *http.ServeMux) {
	if c.o.Questions == nil {
		return
	}
	mux.HandleFunc("GET /admin/questions", c.page(c.questions))
	mux.HandleFunc("GET /admin/questions/{id}", c.page(func(w http.ResponseWriter, r *http.Request, q access) {
		var n *notice
		if r.URL.Query().Get("done") == "answered" {
			n = &notice{Level: "ok", Key: "console_question_answered"}
		}
		c.showConversation(w, r, q, http.StatusOK, n, "")
	}))
	mux.HandleFunc("POST /admin/questions/{id}", c.page(c.answer))
}

type questionsData struct {
	Open, Recent []commerce.Conversation
}

func (c *Console) questions(w http.ResponseWriter, r *http.Request, q access) {
	open, err := c.o.Questions.Open(r.Context(), 50)
	if err != nil {
		c.internal(w, r, q, "open questions", err)
		return
	}
	recent, err := c.o.Questions.Recent(r.Context(), 50)
	if err != nil {
		c.internal(w, r, q, "recent questions", err)
		return
	}
	var answered []commerce.Conversation
	for _, cv := range recent {
		if cv.Status != commerce.ConversationOpen {
			answered = append(answered, cv)
		}
	}
	c.render(w, r, http.StatusOK, &view{Page: "questions", Identity: q.Identity, CSRF: q.CSRF, Data: questionsData{Open: open, Recent: answered}})
}

type conversationData struct {
	Conversation commerce.Conversation
	Deliverable  bool
	Typed        string
	Max          int
}

func (c *Console) showConversation(w http.ResponseWriter, r *http.Request, q access, status int, n *notice, typed string) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var cv commerce.Conversation
	if err == nil {
		cv, err = c.o.Questions.Conversation(r.Context(), id)
	}
	if err != nil {
		if errors.Is(err, commerce.ErrNotFound) || errors.Is(err, strconv.ErrSyntax) || errors.Is(err, strconv.ErrRange) {
			c.message(w, r, http.StatusNotFound, q, "error", "console_not_found", nil)
			return
		}
		c.internal(w, r, q, "conversation", err)
		return
	}
	d := conversationData{Conversation: cv, Deliverable: commerce.Deliverable(cv, c.now()), Typed: typed, Max: commerce.MaxQuestionLen}
	c.render(w, r, status, &view{Page: "conversation", Identity: q.Identity, CSRF: q.CSRF, Notice: n, Data: d})
}

// answer answers POST /admin/questions/{id} (text): the seller's answer,
// sent to the buyer's chat.
func (c *Console) answer(w http.ResponseWriter, r *http.Request, q access) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		c.message(w, r, http.StatusNotFound, q, "error", "console_not_found", nil)
		return
	}
	text := r.PostFormValue("text")
	if _, _, err := c.o.Questions.Answer(r.Context(), id, q.Identity, text); err != nil {
		c.refused(w, r, q, "answer", err, func(n *notice, status int) { c.showConversation(w, r, q, status, n, text) })
		return
	}
	http.Redirect(w, r, "/admin/questions/"+strconv.FormatInt(id, 10)+"?done=answered", http.StatusSeeOther)
}
