package web

import (
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"shopbot/templates"
)

var update = flag.Bool("update", false, "rewrite the golden pages in testdata/")

// TestChatPageLanguages: the chat page speaks the browser's language (or
// ?lang=), Chinese by default; testdata/chat.<lang>.html holds each
// rendering (go test ./bot/web -update rewrites them).
func TestChatPageLanguages(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	New(Options{}).Register(mux)
	get := func(target, accept string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		if accept != "" {
			r.Header.Set("Accept-Language", accept)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		return w
	}
	for _, tc := range []struct {
		target, accept, lang string
		want                 []string
	}{
		{"/", "", "zh-CN", []string{"<title>shopbot · 聊天商城</title>", `placeholder="输入消息，或发送 /help"`, "<button>发送</button>", `"网络异常，请重试。"`}},
		{"/", "en-US,en;q=0.9", "en", []string{"<title>shopbot · chat shop</title>", `placeholder="Type a message or /help"`, "<button>Send</button>", `aria-label="Message"`, `"Network problem — please try again."`}},
		{"/", "ru-RU,ru;q=0.9", "ru", []string{"<title>shopbot · магазин в чате</title>", `placeholder="Сообщение или /help"`, "<button>Отправить</button>", "самовывоз в вашем городе"}},
		{"/?lang=ru", "en", "ru", []string{"<button>Отправить</button>"}},
		{"/?lang=xx", "en-GB", "en", []string{"<button>Send</button>"}},
	} {
		w := get(tc.target, tc.accept)
		body := w.Body.String()
		if w.Code != http.StatusOK {
			t.Fatalf("%s (%s): %d", tc.target, tc.accept, w.Code)
		}
		for _, want := range append(tc.want, `<html lang="`+tc.lang+`">`, `const pageLang = "`+tc.lang+`";`) {
			if !strings.Contains(body, want) {
				t.Errorf("%s (%s) lacks %s", tc.target, tc.accept, want)
			}
		}
		if got := w.Header().Get("Content-Language"); got != tc.lang || w.Header().Get("Vary") != "Accept-Language" {
			t.Errorf("%s (%s): Content-Language %q, Vary %q", tc.target, tc.accept, got, w.Header().Get("Vary"))
		}
		if strings.Contains(body, "webchat_") {
			t.Errorf("%s (%s) shows a text key", tc.target, tc.accept)
		}
	}
	for _, lang := range templates.Locales {
		checkGolden(t, filepath.Join("testdata", "chat."+lang+".html"), get("/?lang="+lang, "").Body.String())
	}
}

// TestNoticePage: the one-line pages (too many new visitors, a WeChat
// sign-in that did not work) speak the reader's language;
// testdata/notice.<lang>.html holds each rendering.
func TestNoticePage(t *testing.T) {
	t.Parallel()
	h := New(Options{})
	texts := templates.MustLoad()
	for _, lang := range templates.Locales {
		w := httptest.NewRecorder()
		h.notice(w, httptest.NewRequest(http.MethodGet, "/", nil), lang, http.StatusTooManyRequests, "webchat_title", "webchat_too_many_new")
		body := w.Body.String()
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Content-Type") != "text/html; charset=utf-8" ||
			!strings.Contains(body, texts.Text(lang, "webchat_too_many_new", nil)) || !strings.Contains(body, `<html lang="`+lang+`">`) {
			t.Errorf("%s: %d %s", lang, w.Code, body)
		}
		if strings.Contains(body, "webchat_") {
			t.Errorf("%s: a text key shows", lang)
		}
		checkGolden(t, filepath.Join("testdata", "notice."+lang+".html"), body)
	}
}

// Every text the pages ask for exists in their topic.
func TestPageKeysExist(t *testing.T) {
	texts := templates.MustLoad()
	re := regexp.MustCompile(`\{\{td? "([a-z_]+)"`)
	for name, page := range map[string]struct{ html, topic string }{"index.html": {chatHTML, "webchat"}, "drop.html": {dropHTML, "droppage"}, "notice.html": {noticeHTML, "webchat"}} {
		keys := re.FindAllStringSubmatch(page.html, -1)
		if len(keys) < 5 && name != "notice.html" {
			t.Fatalf("%s: only %d text keys found; did the syntax change?", name, len(keys))
		}
		for _, k := range keys {
			if texts.Topic(k[1]) != page.topic {
				t.Errorf("%s uses %q, which is not a text of templates/locales/*/%s.txt", name, k[1], page.topic)
			}
		}
	}
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./bot/web -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs; run go test ./bot/web -update and review the diff", path)
	}
}
