package telegramtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// call posts form params to the fake and returns the HTTP status and the
// decoded answer.
func call(t *testing.T, f *FakeAPI, token, method string, p url.Values) (int, map[string]any) {
	t.Helper()
	res, err := http.PostForm(fmt.Sprintf(f.Endpoint(), token, method), p)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, body
}

func TestFakeValidates(t *testing.T) {
	t.Parallel()
	f := NewFakeAPI()
	defer f.Close()
	contactKB := `{"keyboard":[[{"text":"share","request_contact":true}]],"one_time_keyboard":true}`
	for _, tc := range []struct {
		name, method string
		p            url.Values
		want         int
	}{
		{"getMe", "getMe", nil, 200},
		{"text", "sendMessage", url.Values{"chat_id": {"5"}, "text": {"a &amp; b"}, "parse_mode": {"HTML"}}, 200},
		{"unescaped", "sendMessage", url.Values{"chat_id": {"5"}, "text": {"a < b"}, "parse_mode": {"HTML"}}, 400},
		{"empty", "sendMessage", url.Values{"chat_id": {"5"}, "text": {" "}}, 400},
		{"too long", "sendMessage", url.Values{"chat_id": {"5"}, "text": {strings.Repeat("🛍", 2049)}}, 400},
		{"no chat", "sendMessage", url.Values{"text": {"x"}}, 400},
		{"contact keyboard", "sendMessage", url.Values{"chat_id": {"5"}, "text": {"x"}, "reply_markup": {contactKB}}, 200},
		{"contact keyboard in a group", "sendMessage", url.Values{"chat_id": {"-5"}, "text": {"x"}, "reply_markup": {contactKB}}, 400},
		{"remove keyboard", "sendMessage", url.Values{"chat_id": {"5"}, "text": {"x"}, "reply_markup": {`{"remove_keyboard":true}`}}, 200},
		{"empty markup", "sendMessage", url.Values{"chat_id": {"5"}, "text": {"x"}, "reply_markup": {`{}`}}, 400},
		{"long callback data", "sendMessage", url.Values{"chat_id": {"5"}, "text": {"x"}, "reply_markup": {`{"inline_keyboard":[[{"text":"a","callback_data":"` + strings.Repeat("x", 65) + `"}]]}`}}, 400},
		{"bad url button", "sendMessage", url.Values{"chat_id": {"5"}, "text": {"x"}, "reply_markup": {`{"inline_keyboard":[[{"text":"a","url":"javascript:x"}]]}`}}, 400},
		{"reply keyboard on an edit", "editMessageText", url.Values{"chat_id": {"5"}, "message_id": {"1"}, "text": {"y"}, "reply_markup": {contactKB}}, 400},
		{"edit", "editMessageText", url.Values{"chat_id": {"5"}, "message_id": {"1"}, "text": {"y"}}, 200},
		{"not modified", "editMessageText", url.Values{"chat_id": {"5"}, "message_id": {"1"}, "text": {"y"}}, 400},
		{"edit markup", "editMessageReplyMarkup", url.Values{"chat_id": {"5"}, "message_id": {"1"}, "reply_markup": {`{"inline_keyboard":[[{"text":"a","callback_data":"b"}]]}`}}, 200},
		{"unknown message", "editMessageText", url.Values{"chat_id": {"5"}, "message_id": {"99"}, "text": {"y"}}, 400},
		{"photo", "sendPhoto", url.Values{"chat_id": {"5"}, "photo": {"https://x.example/a.png"}, "caption": {"c"}}, 200},
		{"photo file id", "sendPhoto", url.Values{"chat_id": {"5"}, "photo": {"AgACAg"}}, 400},
		{"http webhook", "setWebhook", url.Values{"url": {"http://x.example/hook"}}, 400},
		{"webhook", "setWebhook", url.Values{"url": {"https://x.example/hook"}, "secret_token": {"s_1-A"}}, 200},
		{"commands", "setMyCommands", url.Values{"commands": {`[{"command":"start","description":"Start"}]`}}, 200},
		{"bad command", "setMyCommands", url.Values{"commands": {`[{"command":"Start","description":"Start"}]`}}, 400},
		{"answer", "answerCallbackQuery", url.Values{"callback_query_id": {"q"}}, 200},
		{"unknown method", "sendDice", nil, 404},
	} {
		if code, body := call(t, f, Token, tc.method, tc.p); code != tc.want {
			t.Errorf("%s: %d %v, want %d", tc.name, code, body["description"], tc.want)
		}
	}
	if code, _ := call(t, f, "1:wrong", "getMe", nil); code != 401 {
		t.Errorf("wrong token: %d", code)
	}
	// Message 1 was edited to "y", then got buttons.
	ms := f.Messages(5)
	if len(ms) != 4 || ms[0].Text != "y" || len(ms[0].Markup) != 1 || ms[0].Markup[0][0].CallbackData != "b" ||
		ms[1].Keyboard == nil || !ms[2].RemoveKeyboard || ms[3].Photo == "" || ms[3].Caption != "c" {
		t.Errorf("messages %+v", ms)
	}
	if f.ReplyKeyboard(5) != nil {
		t.Error("remove_keyboard did not clear the keyboard")
	}
	if n := f.Count("sendMessage"); n != 11 {
		t.Errorf("sendMessage calls %d", n)
	}
}

func TestFakeJSONAndFaults(t *testing.T) {
	t.Parallel()
	f := NewFakeAPI()
	defer f.Close()
	f.Inject("sendMessage", Fault{Code: 429, Desc: "Too Many Requests: retry after 2", RetryAfter: 2})
	post := func() (int, map[string]any) {
		res, err := http.Post(fmt.Sprintf(f.Endpoint(), Token, "sendMessage"), "application/json",
			strings.NewReader(`{"chat_id":7,"text":"hi","reply_markup":{"inline_keyboard":[[{"text":"a","callback_data":"b"}]]}}`))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body
	}
	if code, body := post(); code != 429 || body["parameters"].(map[string]any)["retry_after"] != 2.0 {
		t.Errorf("fault: %d %v", code, body)
	}
	if code, _ := post(); code != 200 {
		t.Errorf("JSON request: %d", code)
	}
	m, data, ok := f.WithButton(7, "")
	if !ok || data != "b" || m.Text != "hi" {
		t.Errorf("WithButton: %+v %q %v", m, data, ok)
	}
	if calls := f.Calls("sendMessage"); len(calls) != 2 || calls[0].Status != 429 || calls[1].Params.Get("chat_id") != "7" {
		t.Errorf("calls %+v", calls)
	}
}

func TestGetUpdates(t *testing.T) {
	t.Parallel()
	f := NewFakeAPI()
	defer f.Close()
	if err := f.PushUpdate([]byte(`{"message":{}}`)); err == nil {
		t.Error("an update without update_id was queued")
	}
	for i := int64(1); i <= 3; i++ {
		if err := f.PushUpdate(TextUpdate(i, 5, 5, "/start", "en")); err != nil {
			t.Fatal(err)
		}
	}
	get := func(offset string) []json.RawMessage {
		_, body := call(t, f, Token, "getUpdates", url.Values{"offset": {offset}, "timeout": {"0"}})
		b, _ := json.Marshal(body["result"])
		var out []json.RawMessage
		_ = json.Unmarshal(b, &out)
		return out
	}
	if n := len(get("")); n != 3 {
		t.Errorf("%d updates, want 3", n)
	}
	if n := len(get("3")); n != 1 {
		t.Errorf("after confirming 1 and 2: %d updates, want 1", n)
	}
	// A long poll returns as soon as an update arrives.
	go func() {
		time.Sleep(50 * time.Millisecond)
		_ = f.PushUpdate(TextUpdate(9, 5, 5, "/cart", "en"))
	}()
	start := time.Now()
	_, body := call(t, f, Token, "getUpdates", url.Values{"offset": {"4"}, "timeout": {"30"}})
	if res, _ := body["result"].([]any); len(res) != 1 || time.Since(start) > 15*time.Second { // far below the 30 s poll timeout
		t.Errorf("long poll: %v after %v", body, time.Since(start))
	}
}

func TestCountViolations(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms ...int) []time.Time {
		var out []time.Time
		for _, m := range ms {
			out = append(out, t0.Add(time.Duration(m)*time.Millisecond))
		}
		return out
	}
	perSecond := Limit{N: 1, Per: time.Second}
	for _, tc := range []struct {
		ts   []time.Time
		tol  time.Duration
		want int
	}{
		{at(0, 1000, 2000), 0, 0},
		{at(2000, 0, 999), 0, 1}, // any order
		{at(0, 960, 1920), DefaultTolerance, 0},
		{at(0, 940, 1000), DefaultTolerance, 2},
		{at(0, 10), 0, 1},
		{nil, 0, 0},
	} {
		if got := CountViolations(tc.ts, perSecond, tc.tol); got != tc.want {
			t.Errorf("%v tolerance %v: %d violations, want %d", tc.ts, tc.tol, got, tc.want)
		}
	}
	if CountViolations(at(0, 0, 0), Limit{}, 0) != 0 {
		t.Error("an unchecked limit counted violations")
	}
	if got := CountViolations(at(0, 100, 200, 300), Limit{N: 3, Per: time.Second}, 0); got != 1 {
		t.Errorf("3 per second: %d", got)
	}
}

func TestFakeFiles(t *testing.T) {
	t.Parallel()
	f := NewFakeAPI()
	defer f.Close()
	data := []byte("\xff\xd8 a photo")
	id := f.AddFile(data)
	code, body := call(t, f, Token, "getFile", url.Values{"file_id": {id}})
	res, _ := body["result"].(map[string]any)
	path, _ := res["file_path"].(string)
	if code != 200 || path == "" || res["file_size"] != float64(len(data)) {
		t.Fatalf("getFile = %d %v", code, body)
	}
	if code, _ := call(t, f, Token, "getFile", url.Values{"file_id": {"nope"}}); code != 400 {
		t.Errorf("unknown file_id: %d", code)
	}
	get := func(token, path string) (int, string) {
		t.Helper()
		res, err := http.Get(fmt.Sprintf(f.FileEndpoint(), token, path))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, got := get(Token, path); code != 200 || got != string(data) {
		t.Errorf("download = %d %q", code, got)
	}
	if code, _ := get("123:other", path); code != 404 {
		t.Errorf("other token: %d", code)
	}
	if code, _ := get(Token, "photos/none.jpg"); code != 404 {
		t.Errorf("unknown path: %d", code)
	}
	f.Inject(FileMethod, Fault{Code: 502, NonJSON: true})
	if code, _ := get(Token, path); code != 502 {
		t.Errorf("injected fault: %d", code)
	}
	if n := f.Count(FileMethod); n != 4 {
		t.Errorf("%d downloads recorded, want 4", n)
	}
}

// TestFakeNotModified: like the Bot API, an edit that leaves a message's
// text or caption and inline keyboard as they are is a 400.
func TestFakeNotModified(t *testing.T) {
	t.Parallel()
	f := NewFakeAPI()
	defer f.Close()
	kb := func(data string) string { return `{"inline_keyboard":[[{"text":"a","callback_data":"` + data + `"}]]}` }
	call(t, f, Token, "sendMessage", url.Values{"chat_id": {"5"}, "text": {"one &amp; two"}, "parse_mode": {"HTML"}, "reply_markup": {kb("x")}})
	call(t, f, Token, "sendPhoto", url.Values{"chat_id": {"5"}, "photo": {"https://x.example/a.png"}, "caption": {"cap"}, "reply_markup": {kb("x")}})
	for _, tc := range []struct {
		name, method string
		p            url.Values
		want         int
	}{
		{"same text, entity-escaped", "editMessageText", url.Values{"message_id": {"1"}, "text": {"one &amp; two"}, "parse_mode": {"HTML"}, "reply_markup": {kb("x")}}, 400},
		{"same text as plain, trailing space", "editMessageText", url.Values{"message_id": {"1"}, "text": {"one & two \n"}, "reply_markup": {kb("x")}}, 400},
		{"same text, other keyboard", "editMessageText", url.Values{"message_id": {"1"}, "text": {"one & two"}, "reply_markup": {kb("y")}}, 200},
		{"same keyboard again", "editMessageReplyMarkup", url.Values{"message_id": {"1"}, "reply_markup": {kb("y")}}, 400},
		{"keyboard back", "editMessageReplyMarkup", url.Values{"message_id": {"1"}, "reply_markup": {kb("x")}}, 200},
		{"same caption", "editMessageCaption", url.Values{"message_id": {"2"}, "caption": {"cap"}, "reply_markup": {kb("x")}}, 400},
		{"same caption, keyboard dropped", "editMessageCaption", url.Values{"message_id": {"2"}, "caption": {"cap"}}, 200},
		{"same caption, no keyboard", "editMessageCaption", url.Values{"message_id": {"2"}, "caption": {"cap"}}, 400},
	} {
		tc.p.Set("chat_id", "5")
		code, body := call(t, f, Token, tc.method, tc.p)
		if code != tc.want {
			t.Errorf("%s: %d %v, want %d", tc.name, code, body["description"], tc.want)
		}
		if d, _ := body["description"].(string); code == 400 && !strings.Contains(d, "message is not modified") {
			t.Errorf("%s: %q", tc.name, d)
		}
	}
	if m, _ := f.Message(5, 1); m.Text != "one & two" || m.Markup[0][0].CallbackData != "x" {
		t.Errorf("message 1 = %+v", m)
	}
}

// upload posts a sendPhoto with the picture as a multipart file.
func upload(t *testing.T, f *FakeAPI, chat string, data []byte) (int, map[string]any) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("chat_id", chat)
	_ = w.WriteField("caption", "up")
	part, _ := w.CreateFormFile("photo", "picture.png")
	_, _ = part.Write(data)
	_ = w.Close()
	res, err := f.Client().Post(fmt.Sprintf(f.Endpoint(), Token, "sendPhoto"), w.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// TestFakePhotoUpload: a photo uploaded as multipart gets a file_id that
// later sendPhoto calls may use; unknown file_ids and non-pictures are
// refused. The in-process fake answers the same as the listening one.
func TestFakePhotoUpload(t *testing.T) {
	t.Parallel()
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	for _, inProcess := range []bool{false, true} {
		f := NewFakeAPIWith(Options{InProcess: inProcess})
		defer f.Close()
		code, body := upload(t, f, "5", png)
		if code != 200 {
			t.Fatalf("in process %v: upload %d %v", inProcess, code, body)
		}
		sizes, _ := body["result"].(map[string]any)["photo"].([]any)
		largest, _ := sizes[len(sizes)-1].(map[string]any)["file_id"].(string)
		calls := f.Calls("sendPhoto")
		m, _ := f.Last(5)
		if largest == "" || !m.Uploaded || m.Photo != largest || m.Caption != "up" || len(calls) != 1 || !bytes.Equal(calls[0].Upload, png) {
			t.Fatalf("in process %v: upload answered %v; message %+v", inProcess, body, m)
		}
		for _, tc := range []struct {
			photo string
			want  int
		}{{largest, 200}, {"AgACAgunknown", 400}, {"ftp://x.example/a.png", 400}} {
			res, err := f.Client().PostForm(fmt.Sprintf(f.Endpoint(), Token, "sendPhoto"), url.Values{"chat_id": {"6"}, "photo": {tc.photo}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tc.want {
				t.Errorf("in process %v: photo %q: %d, want %d", inProcess, tc.photo, res.StatusCode, tc.want)
			}
		}
		if m, _ := f.Last(6); m.Photo != largest || m.Uploaded {
			t.Errorf("by file_id: %+v", m)
		}
		if code, _ := upload(t, f, "5", []byte("plain text, not a picture")); code != 400 {
			t.Errorf("a non-picture upload: %d", code)
		}
		if code, _ := upload(t, f, "5", nil); code != 400 {
			t.Errorf("an empty upload: %d", code)
		}
	}
}

// TestGetUpdatesLimit: a burst waits in the queue and comes out at most
// 100 (or "limit") updates per call, in update_id order.
func TestGetUpdatesLimit(t *testing.T) {
	t.Parallel()
	f := NewFakeAPIWith(Options{InProcess: true})
	for i := int64(2000); i >= 1; i-- { // queued out of order
		if err := f.PushUpdate(TextUpdate(i, i, i, "/start", "en")); err != nil {
			t.Fatal(err)
		}
	}
	get := func(p url.Values) []int64 {
		t.Helper()
		res, err := f.Client().PostForm(fmt.Sprintf(f.Endpoint(), Token, "getUpdates"), p)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body struct {
			Result []struct {
				UpdateID int64 `json:"update_id"`
			}
		}
		_ = json.NewDecoder(res.Body).Decode(&body)
		var ids []int64
		for _, u := range body.Result {
			ids = append(ids, u.UpdateID)
		}
		return ids
	}
	ids := get(url.Values{"timeout": {"0"}})
	if len(ids) != MaxUpdatesPerCall || ids[0] != 1 || ids[99] != 100 {
		t.Fatalf("first call: %d updates, %v…", len(ids), ids[:min(3, len(ids))])
	}
	if ids := get(url.Values{"offset": {"101"}, "limit": {"10"}}); len(ids) != 10 || ids[0] != 101 {
		t.Errorf("limit 10: %v", ids)
	}
	if ids := get(url.Values{"offset": {"111"}, "limit": {"1000"}}); len(ids) != MaxUpdatesPerCall {
		t.Errorf("limit over 100: %d updates", len(ids))
	}
	if n := f.Pending(); n != 2000-110 {
		t.Errorf("%d pending, want %d", n, 2000-110)
	}
}
