package telegram

import (
	"encoding/json"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shopbot/bot/telegram/telegramtest"
)

// fakeAPI is telegramtest.FakeAPI (the Bot API fake shared with the app's
// tests and benchmarks) on the test's clock, with exact flood-limit windows
// and conversions to and from the library's types.
type fakeAPI struct {
	*telegramtest.FakeAPI
	t testing.TB
}

type (
	fakeMsg    = telegramtest.Message
	fakeButton = telegramtest.Button
	fault      = telegramtest.Fault
)

const (
	fakeBotID   = telegramtest.BotID
	fakeBotName = telegramtest.BotUsername
)

func newFakeAPI(t testing.TB, token string, now func() time.Time) *fakeAPI {
	f := telegramtest.NewFakeAPIWith(telegramtest.Options{Token: token, Clock: now, Tolerance: -1})
	t.Cleanup(f.Close)
	return &fakeAPI{FakeAPI: f, t: t}
}

func (f *fakeAPI) pushUpdate(u tgbotapi.Update) {
	b, err := json.Marshal(u)
	if err == nil {
		err = f.PushUpdate(b)
	}
	if err != nil {
		f.t.Fatal(err)
	}
}

// asMessage is m as a tgbotapi.Message (the "message" of a callback query).
func (f *fakeAPI) asMessage(m fakeMsg) *tgbotapi.Message {
	var out tgbotapi.Message
	if err := json.Unmarshal(f.MessageJSON(m), &out); err != nil {
		f.t.Fatal(err)
	}
	return &out
}

// countViolations checks a log of send times against one of the Sender's
// limits, exactly.
func countViolations(ts []time.Time, l Limit) int {
	if l.unlimited() {
		return 0
	}
	return telegramtest.CountViolations(ts, telegramtest.Limit{N: l.N, Per: l.Per}, 0)
}
