package telegram

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// fakeAPI is an in-process Bot API: it records every call, keeps the
// messages it "sent" per chat (so tests can press their buttons), validates
// what Telegram validates (HTML entities, lengths, callback_data, edits),
// answers injected faults, and checks the flood limits against its own
// per-chat and global windows.
type fakeAPI struct {
	t      testing.TB
	token  string
	srv    *httptest.Server
	now    func() time.Time
	limits SendLimits // what the violation check enforces

	botID   int64
	botName string

	mu       sync.Mutex
	calls    []apiCall
	nextMsg  int
	msgs     map[int64]map[int]*fakeMsg
	faults   map[string][]fault
	updates  []tgbotapi.Update
	updReady chan struct{}
	sends    map[int64][]time.Time // message-producing calls per chat
	all      []time.Time
}

type apiCall struct {
	Method string
	Params url.Values
	At     time.Time
	Status int // 200 or the error code answered
}

type fault struct {
	Code       int
	Desc       string
	RetryAfter int
	NonJSON    bool // answer with a text/html body, like a proxy
}

type fakeMsg struct {
	ID      int
	Chat    int64
	Text    string // plain, entities decoded
	Caption string
	Photo   string
	Markup  [][]fakeButton
	ReplyTo int
}

type fakeButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
	URL          string `json:"url,omitempty"`
}

const (
	fakeBotID   = 4242
	fakeBotName = "ShopTestBot"
)

func newFakeAPI(t testing.TB, token string, now func() time.Time) *fakeAPI {
	f := &fakeAPI{
		t: t, token: token, now: now, botID: fakeBotID, botName: fakeBotName,
		msgs: map[int64]map[int]*fakeMsg{}, faults: map[string][]fault{},
		updReady: make(chan struct{}, 1), sends: map[int64][]time.Time{},
		limits: SendLimits{}.withDefaults(),
	}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

// Endpoint is the APIEndpoint pattern pointing at the fake.
func (f *fakeAPI) Endpoint() string { return f.srv.URL + "/bot%s/%s" }

// inject queues faults answered (in order) to the next calls of method.
func (f *fakeAPI) inject(method string, fs ...fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[method] = append(f.faults[method], fs...)
}

func (f *fakeAPI) pushUpdate(u tgbotapi.Update) {
	f.mu.Lock()
	f.updates = append(f.updates, u)
	f.mu.Unlock()
	select {
	case f.updReady <- struct{}{}:
	default:
	}
}

func (f *fakeAPI) callsOf(methods ...string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		for _, m := range methods {
			if c.Method == m {
				out = append(out, c)
			}
		}
	}
	return out
}

func (f *fakeAPI) count(method string) int { return len(f.callsOf(method)) }

// messages returns the chat's messages in sending order.
func (f *fakeAPI) messages(chat int64) []fakeMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeMsg
	for _, m := range f.msgs[chat] {
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// message returns one message of chat.
func (f *fakeAPI) message(chat int64, id int) (fakeMsg, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.msgs[chat][id]
	if !ok {
		return fakeMsg{}, false
	}
	return *m, true
}

// allCalls returns every call so far.
func (f *fakeAPI) allCalls() []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]apiCall(nil), f.calls...)
}

// sendTimes returns when messages to chat were sent or edited.
func (f *fakeAPI) sendTimes(chat int64) []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.sends[chat]...)
}

// withButton returns the newest message of chat with a button whose
// callback_data starts with prefix, and that data.
func (f *fakeAPI) withButton(chat int64, prefix string) (fakeMsg, string, bool) {
	ms := f.messages(chat)
	for i := len(ms) - 1; i >= 0; i-- {
		for _, row := range ms[i].Markup {
			for _, b := range row {
				if b.CallbackData != "" && strings.HasPrefix(b.CallbackData, prefix) {
					return ms[i], b.CallbackData, true
				}
			}
		}
	}
	return fakeMsg{}, "", false
}

// violations counts runs of N+1 consecutive messages closer than Per, per
// chat and globally.
func (f *fakeAPI) violations() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := countViolations(f.all, f.limits.Global)
	for chat, ts := range f.sends {
		n += countViolations(ts, f.limits.chatLimit(chat))
	}
	return n
}

func countViolations(ts []time.Time, l Limit) int {
	if l.unlimited() {
		return 0
	}
	s := append([]time.Time(nil), ts...)
	sort.Slice(s, func(i, j int) bool { return s[i].Before(s[j]) })
	n := 0
	for i := 0; i+l.N < len(s); i++ {
		if s[i+l.N].Sub(s[i]) < l.Per {
			n++
		}
	}
	return n
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, _ := strings.Cut(rest, "/")
	if !ok || token != f.token {
		writeAPI(w, 401, "Unauthorized", nil, 0)
		return
	}
	if err := r.ParseForm(); err != nil {
		writeAPI(w, 400, "Bad Request: unreadable form", nil, 0)
		return
	}
	p := r.PostForm
	f.mu.Lock()
	defer f.mu.Unlock()
	c := apiCall{Method: method, Params: p, At: f.now(), Status: 200}
	if q := f.faults[method]; len(q) > 0 {
		ft := q[0]
		f.faults[method] = q[1:]
		c.Status = ft.Code
		f.calls = append(f.calls, c)
		if ft.NonJSON {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(ft.Code)
			fmt.Fprint(w, "<html>bad gateway</html>")
			return
		}
		writeAPI(w, ft.Code, ft.Desc, nil, ft.RetryAfter)
		return
	}
	result, code, desc := f.handle(method, p, r)
	c.Status = code
	f.calls = append(f.calls, c)
	writeAPI(w, code, desc, result, 0)
}

// handle answers one call; mu is held.
func (f *fakeAPI) handle(method string, p url.Values, r *http.Request) (any, int, string) {
	switch method {
	case "getMe":
		return map[string]any{"id": f.botID, "is_bot": true, "first_name": "Shop", "username": f.botName}, 200, ""
	case "sendMessage", "sendPhoto":
		chat, err := strconv.ParseInt(p.Get("chat_id"), 10, 64)
		if err != nil || chat == 0 {
			return nil, 400, "Bad Request: chat not found"
		}
		m := &fakeMsg{Chat: chat}
		if method == "sendMessage" {
			text, code, desc := checkText(p.Get("text"), p.Get("parse_mode"), MaxTextLen, "text")
			if code != 0 {
				return nil, code, desc
			}
			m.Text = text
		} else {
			photo := p.Get("photo")
			if !strings.HasPrefix(photo, "https://") && !strings.HasPrefix(photo, "http://") {
				return nil, 400, "Bad Request: wrong HTTP URL specified"
			}
			if p.Get("caption") != "" {
				caption, code, desc := checkText(p.Get("caption"), p.Get("parse_mode"), MaxCaptionLen, "caption")
				if code != 0 {
					return nil, code, desc
				}
				m.Caption = caption
			}
			m.Photo = photo
		}
		kb, code, desc := checkMarkup(p.Get("reply_markup"))
		if code != 0 {
			return nil, code, desc
		}
		m.Markup = kb
		m.ReplyTo, _ = strconv.Atoi(p.Get("reply_to_message_id"))
		f.nextMsg++
		m.ID = f.nextMsg
		if f.msgs[chat] == nil {
			f.msgs[chat] = map[int]*fakeMsg{}
		}
		f.msgs[chat][m.ID] = m
		f.recordSend(chat)
		return f.result(m), 200, ""
	case "editMessageText", "editMessageCaption":
		chat, _ := strconv.ParseInt(p.Get("chat_id"), 10, 64)
		id, _ := strconv.Atoi(p.Get("message_id"))
		m := f.msgs[chat][id]
		if m == nil {
			return nil, 400, "Bad Request: message to edit not found"
		}
		kb, code, desc := checkMarkup(p.Get("reply_markup"))
		if code != 0 {
			return nil, code, desc
		}
		var text string
		if method == "editMessageText" {
			if m.Photo != "" {
				return nil, 400, "Bad Request: there is no text in the message to edit"
			}
			text, code, desc = checkText(p.Get("text"), p.Get("parse_mode"), MaxTextLen, "text")
		} else {
			if m.Photo == "" {
				return nil, 400, "Bad Request: there is no caption in the message to edit"
			}
			text, code, desc = checkText(p.Get("caption"), p.Get("parse_mode"), MaxCaptionLen, "caption")
		}
		if code != 0 {
			return nil, code, desc
		}
		old := m.Text + m.Caption
		if text == old && fmt.Sprint(kb) == fmt.Sprint(m.Markup) {
			return nil, 400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
		}
		if m.Photo != "" {
			m.Caption = text
		} else {
			m.Text = text
		}
		m.Markup = kb
		f.recordSend(chat)
		return f.result(m), 200, ""
	case "answerCallbackQuery":
		if p.Get("callback_query_id") == "" {
			return nil, 400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
		}
		return true, 200, ""
	case "setWebhook", "deleteWebhook", "setMyCommands":
		return true, 200, ""
	case "getUpdates":
		offset, _ := strconv.Atoi(p.Get("offset"))
		timeout, _ := strconv.Atoi(p.Get("timeout"))
		deadline := time.Now().Add(min(time.Duration(timeout)*time.Second, 2*time.Second))
		for {
			var out []tgbotapi.Update
			keep := f.updates[:0]
			for _, u := range f.updates {
				if u.UpdateID >= offset {
					keep = append(keep, u)
					out = append(out, u)
				}
			}
			f.updates = keep
			if len(out) > 0 || timeout == 0 || !time.Now().Before(deadline) {
				if out == nil {
					out = []tgbotapi.Update{}
				}
				return out, 200, ""
			}
			f.mu.Unlock()
			select {
			case <-f.updReady:
			case <-r.Context().Done():
			case <-time.After(time.Until(deadline)):
			}
			f.mu.Lock()
			if r.Context().Err() != nil {
				return []tgbotapi.Update{}, 200, ""
			}
		}
	}
	return nil, 404, "Not Found: method not found"
}

func (f *fakeAPI) recordSend(chat int64) {
	t := f.now()
	f.sends[chat] = append(f.sends[chat], t)
	f.all = append(f.all, t)
}

// result is the Message JSON Telegram answers for m.
func (f *fakeAPI) result(m *fakeMsg) map[string]any {
	chatType := "private"
	if m.Chat < 0 {
		chatType = "supergroup"
	}
	out := map[string]any{
		"message_id": m.ID, "date": 1,
		"chat": map[string]any{"id": m.Chat, "type": chatType},
		"from": map[string]any{"id": f.botID, "is_bot": true, "first_name": "Shop", "username": f.botName},
	}
	if m.Photo != "" {
		out["photo"] = []map[string]any{{"file_id": "ph", "file_unique_id": "ph", "width": 90, "height": 90}}
		out["caption"] = m.Caption
	} else {
		out["text"] = m.Text
	}
	if len(m.Markup) > 0 {
		out["reply_markup"] = map[string]any{"inline_keyboard": m.Markup}
	}
	return out
}

// asMessage is m as a tgbotapi.Message (the "message" of a callback query).
func (f *fakeAPI) asMessage(m fakeMsg) *tgbotapi.Message {
	b, _ := json.Marshal(f.result(&m))
	var out tgbotapi.Message
	if err := json.Unmarshal(b, &out); err != nil {
		f.t.Fatal(err)
	}
	return &out
}

func writeAPI(w http.ResponseWriter, code int, desc string, result any, retryAfter int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	body := map[string]any{"ok": code == 200}
	if code == 200 {
		body["result"] = result
	} else {
		body["error_code"] = code
		body["description"] = desc
		if retryAfter > 0 {
			body["parameters"] = map[string]any{"retry_after": retryAfter}
		}
	}
	_ = json.NewEncoder(w).Encode(body)
}

// checkText validates a text or caption as Telegram does and returns it
// with entities decoded.
func checkText(s, parseMode string, limit int, what string) (string, int, string) {
	plain := s
	if parseMode == tgbotapi.ModeHTML {
		var err error
		if plain, err = parseTelegramHTML(s); err != nil {
			return "", 400, "Bad Request: can't parse entities: " + err.Error()
		}
	}
	switch {
	case strings.TrimSpace(plain) == "":
		return "", 400, "Bad Request: message " + what + " is empty"
	case utf16Len(plain) > limit:
		return "", 400, "Bad Request: message " + what + " is too long"
	}
	return plain, 0, ""
}

// parseTelegramHTML decodes text sent with parse_mode HTML that must contain
// no tags: every <, > and & must be an entity.
func parseTelegramHTML(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case '<', '>':
			return "", fmt.Errorf("unescaped %q at byte offset %d", c, i)
		case '&':
			j := strings.IndexByte(s[i:], ';')
			if j < 0 {
				return "", fmt.Errorf("unterminated entity at byte offset %d", i)
			}
			ent := s[i+1 : i+j]
			switch {
			case ent == "lt":
				b.WriteByte('<')
			case ent == "gt":
				b.WriteByte('>')
			case ent == "amp":
				b.WriteByte('&')
			case ent == "quot":
				b.WriteByte('"')
			case strings.HasPrefix(ent, "#"):
				digits, base := ent[1:], 10
				if strings.HasPrefix(digits, "x") {
					digits, base = digits[1:], 16
				}
				n, err := strconv.ParseInt(digits, base, 32)
				if err != nil {
					return "", fmt.Errorf("bad numeric entity %q", ent)
				}
				b.WriteRune(rune(n))
			default:
				return "", fmt.Errorf("unsupported entity %q at byte offset %d", ent, i)
			}
			i += j + 1
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

func checkMarkup(raw string) ([][]fakeButton, int, string) {
	if raw == "" {
		return nil, 0, ""
	}
	var kb struct {
		InlineKeyboard [][]fakeButton `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(raw), &kb); err != nil {
		return nil, 400, "Bad Request: can't parse reply keyboard markup JSON object"
	}
	for _, row := range kb.InlineKeyboard {
		for _, b := range row {
			switch {
			case b.Text == "":
				return nil, 400, "Bad Request: text buttons are unallowed in the inline keyboard"
			case b.URL == "" && (len(b.CallbackData) < 1 || len(b.CallbackData) > 64):
				return nil, 400, "Bad Request: BUTTON_DATA_INVALID"
			}
		}
	}
	return kb.InlineKeyboard, 0, ""
}
