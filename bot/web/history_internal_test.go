package web

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"shopbot/bot"
)

// A kept message is at most MaxHistoryEntry bytes: a longer one loses its
// buttons and picture, then the end of its text, on a character boundary.
func TestEncodeEntryBounded(t *testing.T) {
	t.Parallel()
	buttons := [][]bot.Button{{{Text: "Add", Action: "add:1:1:100"}}}
	for _, tc := range []struct {
		name    string
		reply   bot.Reply
		buttons bool
	}{
		{"short", bot.Reply{Text: "hello", Buttons: buttons, Image: "/img/x.png"}, true},
		{"long ascii", bot.Reply{Text: strings.Repeat("a", 20000), Buttons: buttons}, false},
		{"long chinese", bot.Reply{Text: strings.Repeat("好", 5000), Buttons: buttons}, false},
		{"escapes", bot.Reply{Text: strings.Repeat("<&>\"", 5000)}, false},
		{"many buttons", bot.Reply{Text: "x", Buttons: [][]bot.Button{slices.Repeat([]bot.Button{{Text: "button", Action: "p:1"}}, 500)}}, false},
	} {
		b := encodeEntry(historyEntry{HistoryMessage: HistoryMessage{Reply: tc.reply}})
		if len(b) > MaxHistoryEntry {
			t.Errorf("%s: %d bytes", tc.name, len(b))
		}
		var e historyEntry
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !utf8.ValidString(e.Text) || (len(e.Buttons) > 0) != tc.buttons {
			t.Errorf("%s: text valid %v, buttons %d", tc.name, utf8.ValidString(e.Text), len(e.Buttons))
		}
		if len(tc.reply.Text) > MaxHistoryEntry && (!strings.HasSuffix(e.Text, "…") || len(e.Text) < MaxHistoryEntry/8) {
			t.Errorf("%s: cut to %d bytes %q…", tc.name, len(e.Text), e.Text[:min(len(e.Text), 20)])
		}
	}
}

// An edit takes the place of the latest message with the pressed button;
// one whose message is gone (trimmed away) is shown as a new message.
func TestCollapse(t *testing.T) {
	t.Parallel()
	enc := func(e historyEntry) []byte { return encodeEntry(e) }
	card := func(text, plus string) historyEntry {
		return historyEntry{HistoryMessage: HistoryMessage{Reply: bot.Reply{Text: text, Buttons: [][]bot.Button{{{Text: "+", Action: plus}}}}}}
	}
	edit := func(e historyEntry, of string) historyEntry { e.Of = of; return e }
	raw := [][]byte{
		enc(card("A1", "q:1:2")),
		enc(card("B1", "q:2:2")),
		enc(historyEntry{HistoryMessage: HistoryMessage{Me: true, Reply: bot.Reply{Text: "q:1:2"}}}), // typed, not a button
		enc(edit(card("A2", "q:1:3"), "q:1:2")),
		enc(edit(card("A3", "q:1:4"), "q:1:3")),
		enc(edit(card("C2", "q:3:3"), "q:3:2")), // its card was trimmed away
		[]byte("not json"),
	}
	var got []string
	for _, m := range collapse(raw) {
		got = append(got, m.Text)
	}
	if strings.Join(got, " ") != "A3 B1 q:1:2 C2" {
		t.Fatalf("collapse = %q", got)
	}
}
