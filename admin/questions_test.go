package admin

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"shopbot/commerce"
)

// TestQuestions: a buyer's question awaits an answer; the seller answers
// from the console; a WeChat buyer silent for 48 hours cannot be answered.
func TestQuestions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cv, _, err := e.questions.Ask(e.ctx, commerce.Asker{Buyer: commerce.Buyer{Channel: "tg", UserID: "77"}, ChatID: "77", Name: "Маша", Lang: "ru"},
		"Вы доставляете в Москву?", 0)
	if err != nil {
		t.Fatal(err)
	}
	b := e.signIn("ru")
	csrf := b.csrf()
	wantStatus(t, "list", b.get("/admin/questions"), http.StatusOK, "Маша", tx("ru", "console_question_waiting", nil))
	path := "/admin/questions/" + strconv.FormatInt(cv.ID, 10)
	wantStatus(t, "thread", b.get(path), http.StatusOK, "Вы доставляете в Москву?", `name="text"`)
	wantStatus(t, "empty answer", b.post(path, url.Values{"csrf": {csrf}, "text": {"  "}}), http.StatusUnprocessableEntity)
	if w := b.post(path, url.Values{"csrf": {csrf}, "text": {"Да, через пункт выдачи."}}); w.Code != http.StatusSeeOther {
		t.Fatalf("answer: %d %s", w.Code, w.Body)
	}
	got, err := e.questions.Conversation(e.ctx, cv.ID)
	if err != nil || got.Status == commerce.ConversationOpen || len(got.Messages) != 2 || got.Messages[1].Author != seller {
		t.Fatalf("after the answer %+v, %v", got, err)
	}
	wantStatus(t, "unknown", b.get("/admin/questions/999999"), http.StatusNotFound)

	wx, _, err := e.questions.Ask(e.ctx, commerce.Asker{Buyer: commerce.Buyer{Channel: "wx", UserID: "oAbc"}, ChatID: "oAbc", Lang: "zh-CN"}, "在吗", 0)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(49 * time.Hour)
	b = e.signIn("ru") // the session of two days ago has ended
	csrf = b.csrf()
	wpath := "/admin/questions/" + strconv.FormatInt(wx.ID, 10)
	wantStatus(t, "outside the window", b.get(wpath), http.StatusOK, tx("ru", "console_question_outside_window", nil))
	wantStatus(t, "answer outside the window", b.post(wpath, url.Values{"csrf": {csrf}, "text": {"Здравствуйте"}}), http.StatusConflict)
}
