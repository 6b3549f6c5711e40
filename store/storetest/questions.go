package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"shopbot/commerce"
	"shopbot/internal/testenv"
)

// runQuestions runs the topic of buyers' questions to the sellers:
// conversations with their messages, continued or opened, the limits per
// buyer (also under concurrent asks), answers, the events the notices come
// from, and the sent messages that stand for a conversation.
func runQuestions(t *testing.T, open OpenShop) {
	runAll(t, open, []behaviour[OpenShop]{
		{"ask, continue, answer, list", testQuestionsConversation},
		{"limits per buyer", testQuestionsLimits},
		{"concurrent asks keep the limit", testQuestionsConcurrent},
		{"an event that fails stores nothing", testQuestionsRollBack},
		{"sent messages stand for conversations", testQuestionsRefs},
		{"the buyer's later messages move their last message", testQuestionsTouch},
	})
}

var questionAt = time.Date(2030, 5, 1, 10, 0, 0, 0, time.UTC)

func question(b commerce.Buyer, text string, at time.Time) commerce.Question {
	return commerce.Question{Buyer: b, ChatID: b.UserID, Name: "Ann", Lang: "ru", Text: text, At: at,
		Limits: commerce.QuestionLimits{NewPerDay: 2, PerHour: 3}}
}

func testQuestionsConversation(t *testing.T, open OpenShop) {
	t.Parallel()
	log := &eventLog{}
	s := open(t, log.hook)
	ctx := context.Background()
	ann := commerce.Buyer{Channel: "web", UserID: "ann"}
	c, m, err := s.AskQuestion(ctx, question(ann, "Do you deliver to Moscow?", questionAt))
	if err != nil || c.ID == 0 || m.ID == 0 || c.Status != commerce.ConversationOpen || c.Lang != "ru" || c.BuyerName != "Ann" {
		t.Fatalf("AskQuestion = %+v, %+v, %v", c, m, err)
	}
	// Within a day the buyer's next question continues the conversation.
	c2, m2, err := s.AskQuestion(ctx, question(ann, "And to Kazan?", questionAt.Add(time.Hour)))
	if err != nil || c2.ID != c.ID || m2.ID == m.ID {
		t.Fatalf("second question = %+v, %+v, %v; want conversation %d continued", c2, m2, err, c.ID)
	}
	if got := log.named("question_asked"); len(got) != 2 || !got[0].(commerce.QuestionAsked).New || got[1].(commerce.QuestionAsked).New {
		t.Fatalf("question_asked events %v; want a new one, then a continued one", got)
	}
	a, am, err := s.AnswerQuestion(ctx, commerce.Answer{Conversation: c.ID, By: "tg:9", Text: "Yes, in 10 days.", At: questionAt.Add(2 * time.Hour)})
	if err != nil || a.Status != commerce.ConversationAnswered || am.Direction != commerce.DirectionOut || a.ChatID != "ann" {
		t.Fatalf("AnswerQuestion = %+v, %+v, %v", a, am, err)
	}
	if got := log.named("question_answered"); len(got) != 1 || got[0].(commerce.QuestionAnswered).Message.Body != "Yes, in 10 days." {
		t.Fatalf("question_answered events %v", got)
	}
	full, err := s.Conversation(ctx, c.ID)
	if err != nil || len(full.Messages) != 3 || full.Messages[0].Direction != commerce.DirectionIn ||
		full.Messages[2].Author != "tg:9" || !full.Messages[1].At.Equal(questionAt.Add(time.Hour)) ||
		!full.LastBuyerAt.Equal(questionAt.Add(time.Hour)) {
		t.Fatalf("Conversation = %+v, %v", full, err)
	}
	if _, _, err := s.AnswerQuestion(ctx, commerce.Answer{Conversation: 424242, By: "tg:9", Text: "x", At: questionAt}); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("answer to no conversation: %v; want ErrNotFound", err)
	}
	if _, err := s.Conversation(ctx, 424242); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("Conversation(424242): %v", err)
	}
	// Another buyer, then a day later Ann again: a new conversation.
	bob := commerce.Buyer{Channel: "tg", UserID: "7"}
	cb, _, err := s.AskQuestion(ctx, question(bob, "Is it original?", questionAt.Add(3*time.Hour)))
	if err != nil || cb.ID == c.ID {
		t.Fatalf("Bob's question = %+v, %v", cb, err)
	}
	c3, _, err := s.AskQuestion(ctx, question(ann, "Hello again", questionAt.Add(27*time.Hour)))
	if err != nil || c3.ID == c.ID {
		t.Fatalf("a day later = %+v, %v; want a new conversation", c3, err)
	}
	waiting, err := s.Conversations(ctx, commerce.ConversationOpen, 10)
	if err != nil || len(waiting) != 2 || waiting[0].ID != c3.ID || waiting[1].ID != cb.ID {
		t.Fatalf("open conversations = %+v, %v; want Ann's new one, then Bob's", waiting, err)
	}
	if all, err := s.Conversations(ctx, "", 10); err != nil || len(all) != 3 {
		t.Fatalf("all conversations = %d, %v", len(all), err)
	}
}

func testQuestionsLimits(t *testing.T, open OpenShop) {
	t.Parallel()
	s := open.plain(t)
	ctx := context.Background()
	ann := commerce.Buyer{Channel: "wx", UserID: "oAnn"}
	clock := testenv.NewClock(questionAt)
	ask := func(text string) error {
		_, _, err := s.AskQuestion(ctx, question(ann, text, clock.Now()))
		return err
	}
	for i := range 3 {
		if err := ask("question"); err != nil {
			t.Fatalf("question %d: %v", i, err)
		}
		clock.Advance(time.Minute)
	}
	if err := ask("a fourth within the hour"); !errors.Is(err, commerce.ErrTooManyQuestions) {
		t.Fatalf("4th message within an hour: %v; want ErrTooManyQuestions", err)
	}
	// An hour later: allowed again. Conversations opened: 1 so far.
	clock.Advance(time.Hour)
	if err := ask("later"); err != nil {
		t.Fatal(err)
	}
	// A second conversation (the first idle for a day)…
	clock.Advance(25 * time.Hour)
	if err := ask("next day"); err != nil {
		t.Fatal(err)
	}
	// A conversation named that is not the buyer's opens a new one: the
	// second in a day is allowed, a third is over NewPerDay = 2.
	q := question(ann, "a new thread", clock.Now())
	q.Conversation = 424242
	if _, _, err := s.AskQuestion(ctx, q); err != nil {
		t.Fatalf("second new conversation in a day: %v", err)
	}
	if _, _, err := s.AskQuestion(ctx, q); !errors.Is(err, commerce.ErrTooManyQuestions) {
		t.Fatalf("third new conversation in a day: %v; want ErrTooManyQuestions", err)
	}
}

func testQuestionsConcurrent(t *testing.T, open OpenShop) {
	t.Parallel()
	s := open.plain(t)
	ctx := context.Background()
	ann := commerce.Buyer{Channel: "web", UserID: "flood"}
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = s.AskQuestion(ctx, question(ann, "spam", questionAt))
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, commerce.ErrTooManyQuestions):
			t.Fatalf("concurrent ask: %v", err)
		}
	}
	if ok != 3 {
		t.Fatalf("%d of 10 concurrent questions accepted; want the limit, 3", ok)
	}
	if all, err := s.Conversations(ctx, "", 10); err != nil || len(all) != 1 {
		t.Fatalf("%d conversations from one buyer's burst (%v); want 1", len(all), err)
	}
}

func testQuestionsRollBack(t *testing.T, open OpenShop) {
	t.Parallel()
	log := &eventLog{}
	s := open(t, log.hook)
	ctx := context.Background()
	log.failOn("question_asked")
	if _, _, err := s.AskQuestion(ctx, question(commerce.Buyer{Channel: "web", UserID: "x"}, "hi", questionAt)); err == nil {
		t.Fatal("AskQuestion with a failing event hook succeeded")
	}
	if all, _ := s.Conversations(ctx, "", 10); len(all) != 0 {
		t.Fatalf("conversations after a failed ask: %v", all)
	}
}

func testQuestionsRefs(t *testing.T, open OpenShop) {
	t.Parallel()
	s := open.plain(t)
	ctx := context.Background()
	c, _, err := s.AskQuestion(ctx, question(commerce.Buyer{Channel: "web", UserID: "x"}, "hi", questionAt))
	if err != nil {
		t.Fatal(err)
	}
	ref := commerce.ConversationRef{Channel: "tg", ChatID: "9", MessageID: "501", Conversation: c.ID, At: questionAt}
	for range 2 { // remembering twice is harmless
		if err := s.RememberConversationRef(ctx, ref); err != nil {
			t.Fatal(err)
		}
	}
	if id, err := s.ConversationByRef(ctx, "tg", "9", "501"); err != nil || id != c.ID {
		t.Fatalf("ConversationByRef = %d, %v; want %d", id, err, c.ID)
	}
	for _, k := range [][3]string{{"tg", "9", "502"}, {"tg", "8", "501"}, {"wx", "9", "501"}} {
		if _, err := s.ConversationByRef(ctx, k[0], k[1], k[2]); !errors.Is(err, commerce.ErrNotFound) {
			t.Fatalf("ConversationByRef(%v) = %v; want ErrNotFound", k, err)
		}
	}
}

func testQuestionsTouch(t *testing.T, open OpenShop) {
	t.Parallel()
	s := open.plain(t)
	ctx := context.Background()
	ann := commerce.Buyer{Channel: "wx", UserID: "oAnn"}
	c, _, err := s.AskQuestion(ctx, question(ann, "hi", questionAt))
	if err != nil {
		t.Fatal(err)
	}
	later := questionAt.Add(40 * time.Hour)
	for _, tc := range []struct {
		b    commerce.Buyer
		at   time.Time
		want time.Time
	}{
		{commerce.Buyer{Channel: "wx", UserID: "oBob"}, later, questionAt}, // another buyer: nothing
		{ann, later, later},
		{ann, questionAt.Add(time.Hour), later}, // never backwards
	} {
		if err := s.TouchConversation(ctx, c.ID, tc.b, tc.at); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Conversation(ctx, c.ID); err != nil || !got.LastBuyerAt.Equal(tc.want) {
			t.Fatalf("after touching by %v at %v: last buyer message %v, %v; want %v", tc.b, tc.at, got.LastBuyerAt, err, tc.want)
		}
	}
}
