package web

// The recent conversation of a web identity: the page shows it again after
// a reload (GET /api/history). The server keeps the last HistoryLen
// messages (the buyer's typed text, the bot's replies with their buttons
// and notices from the inbox), each at most MaxHistoryEntry bytes, in
// Options.History: Redis with a TTL when there is Redis, else the database
// (whose retention sweep removes it).

import (
	"encoding/json"
	"net/http"
	"unicode/utf8"

	"shopbot/bot"
)

// Bounds of the kept conversation.
const (
	// HistoryLen is how many messages of a web identity are kept.
	HistoryLen = 50
	// MaxHistoryEntry bounds one kept message: a longer one loses its
	// buttons and picture, then the end of its text.
	MaxHistoryEntry = 8 << 10
)

// HistoryMessage is one message of the conversation as GET /api/history
// answers it: a reply of the bot, or (Me) the buyer's own text.
type HistoryMessage struct {
	Me bool `json:"me,omitempty"`
	bot.Reply
}

// historyEntry is what is stored: a message, and for a reply that edits
// the message whose button was pressed (a quantity stepper), the action of
// that button (Of), so reading puts it in that message's place as the page
// did.
type historyEntry struct {
	HistoryMessage
	Of string `json:"of,omitempty"`
}

// HistoryResponse is the answer of GET /api/history.
type HistoryResponse struct {
	// Messages, oldest first. A visitor with no conversation yet gets the
	// welcome (which is not stored).
	Messages []HistoryMessage `json:"messages"`
}

// encodeEntry marshals an entry within MaxHistoryEntry.
func encodeEntry(e historyEntry) []byte {
	b, err := json.Marshal(e)
	if err == nil && len(b) <= MaxHistoryEntry {
		return b
	}
	e.Buttons, e.Image = nil, ""
	for {
		b, err = json.Marshal(e)
		if err == nil && len(b) <= MaxHistoryEntry || e.Text == "" {
			return b
		}
		// Cut the text in the proportion it is over (escapes make JSON
		// longer than the text), on a character boundary.
		cut := len(e.Text) * (MaxHistoryEntry - 64) / max(len(b), 1)
		for cut > 0 && !utf8.RuneStart(e.Text[cut]) {
			cut--
		}
		e.Text = e.Text[:cut] + "…"
		if cut == 0 {
			e.Text = ""
		}
	}
}

// userKey is the key of a web identity's history and inbox.
func userKey(id string) string { return bot.ChannelWeb + ":" + id }

// record appends a turn to the identity's history: the buyer's typed text
// (a button press, and a text the page said quietly, show nothing of their
// own), then the replies. A failure is logged: the conversation itself
// went through.
func (h *Handler) record(r *http.Request, id string, req ChatRequest, replies []bot.Reply) {
	if h.o.History == nil {
		return
	}
	var entries [][]byte
	if req.Text != "" && !req.Quiet {
		entries = append(entries, encodeEntry(historyEntry{HistoryMessage: HistoryMessage{Me: true, Reply: bot.Reply{Text: req.Text}}}))
	}
	for i, rp := range replies {
		if rp.Text == "" && rp.Image == "" {
			continue // a toast: nothing shown in the page
		}
		e := historyEntry{HistoryMessage: HistoryMessage{Reply: rp}}
		e.Edit = false
		if rp.Edit && i == 0 && req.Action != "" {
			e.Of = req.Action
		}
		entries = append(entries, encodeEntry(e))
	}
	if err := h.o.History.AppendHistory(r.Context(), userKey(id), entries, HistoryLen); err != nil {
		h.o.Log.WarnContext(r.Context(), "web history not kept", "err", err)
	}
}

// history answers GET /api/history with the caller's recent conversation,
// or the welcome when there is none. It needs the identity cookie and
// issues none: a visit that goes no further stores nothing.
func (h *Handler) history(w http.ResponseWriter, r *http.Request) {
	out := HistoryResponse{Messages: []HistoryMessage{}}
	if id, _, ok := h.ids.fromRequest(r); ok && h.o.History != nil {
		raw, err := h.o.History.History(r.Context(), userKey(id), HistoryLen)
		if err != nil {
			h.o.Log.WarnContext(r.Context(), "web history unavailable", "err", err)
		}
		out.Messages = collapse(raw)
	}
	if len(out.Messages) == 0 && h.o.Router != nil {
		for _, rp := range h.o.Router.Welcome(bot.Message{Channel: bot.ChannelWeb, Lang: pageLang(r)}) {
			out.Messages = append(out.Messages, HistoryMessage{Reply: rp})
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

// collapse decodes stored entries into the messages the page shows: an
// edit takes the place of the latest message that has the pressed button,
// as it did in the page.
func collapse(raw [][]byte) []HistoryMessage {
	out := []HistoryMessage{}
	for _, b := range raw {
		var e historyEntry
		if err := json.Unmarshal(b, &e); err != nil {
			continue
		}
		if e.Of != "" {
			if i := lastWithButton(out, e.Of); i >= 0 {
				out[i] = e.HistoryMessage
				continue
			}
		}
		out = append(out, e.HistoryMessage)
	}
	return out
}

func lastWithButton(msgs []HistoryMessage, action string) int {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Me {
			continue
		}
		for _, row := range msgs[i].Buttons {
			for _, b := range row {
				if b.Action == action {
					return i
				}
			}
		}
	}
	return -1
}
