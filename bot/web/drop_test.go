package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"shopbot/commerce"
	"shopbot/poster"
)

type fakeDropPages map[string]DropPageData

func (f fakeDropPages) DropPage(_ context.Context, code, lang string) (DropPageData, error) {
	d, ok := f[code]
	if !ok {
		return DropPageData{}, fmt.Errorf("drop %q: %w", code, commerce.ErrNotFound)
	}
	d.Lang = lang
	return d, nil
}

const (
	dropKnown = "abcd2345"
	dropEvil  = "evxy2345"
	dropSold  = "s0ld"
	dropGone  = "zzzz9999"
	dropBroke = "brkn2345"
	dropOff   = "cxr23456"
	dropPlain = "pqrs2345" // no description: the page writes one
)

func dropMux(t *testing.T) *http.ServeMux {
	t.Helper()
	pages := fakeDropPages{
		dropKnown: {
			Code: dropKnown, Title: "云南古树普洱茶饼", Description: "2019 春茶",
			ImageURL: "https://shop.example/img/COS-001.png", PageURL: "https://shop.example/d/" + dropKnown,
			QRURL: "https://shop.example/d/" + dropKnown + "/qr.png", BotURL: "weixin://dl/business/?t=abc",
			Price: commerce.CNY(12900), StartsAt: time.Now().Add(2 * time.Hour), Left: 23, Units: 100,
		},
		dropOff: {
			Code: dropOff, Title: "云南古树普洱茶饼", Description: "2019 春茶",
			ImageURL: "https://shop.example/img/COS-001.png", PageURL: "https://shop.example/d/" + dropOff,
			QRURL: "https://shop.example/d/" + dropOff + "/qr.png", BotURL: "weixin://dl/business/?t=abc",
			Price: commerce.CNY(12900), StartsAt: time.Now().Add(2 * time.Hour), Left: 23, Units: 100, Cancelled: true,
		},
		dropPlain: {
			Code: dropPlain, Title: "Air Max 97", Price: commerce.CNY(129900), StartsAt: time.Now().Add(2 * time.Hour), Left: 23, Units: 100,
		},
		dropEvil: {
			Code: dropEvil, Title: `<script>alert(1)</script>" onmouseover="x`, Description: `</title><b>`,
			ImageURL: `javascript:alert(1)`, BotURL: "javascript:alert(2)",
			Price: commerce.CNY(100), StartsAt: time.Now().Add(-time.Hour), Left: 0, Units: 5,
		},
	}
	poster := func(_ context.Context, code, lang string) ([]byte, error) {
		if code == dropBroke {
			return nil, errors.New("disk on fire")
		}
		d, err := pages.DropPage(context.Background(), code, lang)
		if err != nil {
			return nil, err
		}
		return poster.Render(poster.Poster{Title: d.Title, Price: "¥129.00", Width: 320})
	}
	mux := http.NewServeMux()
	New(Options{}).RegisterDrops(mux, pages, poster)
	return mux
}

func dropGet(mux *http.ServeMux, path, acceptLang string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if acceptLang != "" {
		r.Header.Set("Accept-Language", acceptLang)
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	return w
}

func TestDropPageOpenGraph(t *testing.T) {
	mux := dropMux(t)
	w := dropGet(mux, "/d/"+dropKnown, "")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q", ct)
	}
	body := w.Body.String()
	for _, want := range []string{
		`<meta property="og:title" content="云南古树普洱茶饼">`,
		`<meta property="og:description" content="2019 春茶">`,
		`<meta property="og:image" content="https://shop.example/img/COS-001.png">`,
		`<meta property="og:url" content="https://shop.example/d/` + dropKnown + `">`,
		`<meta name="twitter:card" content="summary_large_image">`,
		`<html lang="zh-CN">`,
		`¥129.00`,
		`剩余 23 件`,
		`距开抢还有`,
		`src="https://shop.example/d/` + dropKnown + `/qr.png"`,
		`href="weixin://dl/business/?t=abc"`,
		`/d/` + dropKnown + `/poster.png`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

// A cancelled drop's page says so and offers nothing to scan, open or save.
func TestDropPageCancelled(t *testing.T) {
	mux := dropMux(t)
	for _, tc := range []struct{ accept, says, desc string }{
		{"", "商家已取消本次抢购", "本次抢购已取消"},
		{"en", "The seller cancelled this drop", "This drop was cancelled"},
		{"ru", "Дроп отменён продавцом", "Дроп отменён"},
	} {
		w := dropGet(mux, "/d/"+dropOff, tc.accept)
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		body := w.Body.String()
		for _, want := range []string{tc.says, `<meta property="og:description" content="` + tc.desc + `">`} {
			if !strings.Contains(body, want) {
				t.Errorf("%q page lacks %s", tc.accept, want)
			}
		}
		for _, not := range []string{"/qr.png\"", "poster.png", "weixin://", `id="count"`, "剩余 23 件", "23 of 100 left"} {
			if strings.Contains(body, not) {
				t.Errorf("%q page of a cancelled drop has %s", tc.accept, not)
			}
		}
	}
}

func TestDropPageLanguage(t *testing.T) {
	mux := dropMux(t)
	for _, tc := range []struct{ path, accept, want string }{
		{"/d/" + dropKnown + "?lang=en", "ru-RU", "23 of 100 left"},
		{"/d/" + dropKnown, "ru-RU,ru;q=0.9", "Осталось 23 из 100"},
		{"/d/" + dropKnown, "en-US,en;q=0.8", "Open in chat"},
		{"/d/" + dropKnown + "?lang=xx", "", "在聊天中打开"},
		// The countdown's words, with "{}" where its script puts the numbers.
		{"/d/" + dropKnown, "ru", `data-before="До начала: {}"`},
		{"/d/" + dropKnown, "ru", `data-days="{} дн."`},
		{"/d/" + dropKnown, "en", `data-days="{}d"`},
		{"/d/" + dropKnown, "zh-CN", `data-before="距开抢还有 {}"`},
		{"/d/" + dropKnown, "en", `<meta property="og:locale" content="en_US">`},
		{"/d/" + dropPlain, "ru", "<meta name=\"description\" content=\"1\u00a0299,00\u00a0¥ · осталось 23 из 100\">"},
		{"/d/" + dropPlain, "en", `<meta name="description" content="¥1,299.00 · 23 of 100 left">`},
		{"/d/" + dropPlain, "zh-CN", `<meta name="description" content="¥1,299.00 · 限量 100 件，剩余 23 件">`},
	} {
		w := dropGet(mux, tc.path, tc.accept)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("%s (%s): status %d, want %q in page", tc.path, tc.accept, w.Code, tc.want)
		}
	}
}

func TestDropPageNotFound(t *testing.T) {
	mux := dropMux(t)
	for _, path := range []string{
		"/d/" + dropGone,  // valid shape, unknown
		"/d/" + dropSold,  // too short
		"/d/ABCD2345",     // upper case is not in the alphabet
		"/d/abcd234o",     // 'o' is not in the alphabet
		"/d/abcd23456",    // too long
		"/d/%3Cscript%3E", // garbage
		"/d/" + dropGone + "/poster.png",
		"/d/ABCD2345/poster.png",
	} {
		if w := dropGet(mux, path, ""); w.Code != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, w.Code)
		}
	}
	// The reader is told in their language.
	for accept, want := range map[string]string{"": "该抢购不存在或已下架。", "en": "This drop does not exist", "ru": "Такого дропа нет"} {
		for _, path := range []string{"/d/" + dropGone, "/d/ABCD2345"} {
			if w := dropGet(mux, path, accept); !strings.Contains(w.Body.String(), want) {
				t.Errorf("%s (%q): %q, want %q", path, accept, w.Body, want)
			}
		}
	}
}

func TestDropPageEscapes(t *testing.T) {
	w := dropGet(dropMux(t), "/d/"+dropEvil+"?lang=en", "")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	body := w.Body.String()
	for _, bad := range []string{"<script>alert", `" onmouseover="x`, "</title><b>", "javascript:alert"} {
		if strings.Contains(body, bad) {
			t.Errorf("page contains unescaped %q", bad)
		}
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("title not shown escaped")
	}
	if !strings.Contains(body, "Sold out") || !strings.Contains(body, "On sale now") {
		t.Error("sold-out / started state missing")
	}
	if strings.Contains(body, `class="open"`) {
		t.Error("a javascript: bot link was rendered")
	}
}

func TestDropPoster(t *testing.T) {
	mux := dropMux(t)
	w := dropGet(mux, "/d/"+dropKnown+"/poster.png", "")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "image/png" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := w.Header().Get("Cache-Control"); cc != DropPosterCache {
		t.Errorf("Cache-Control %q", cc)
	}
	img, err := png.Decode(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatalf("poster is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 320 {
		t.Errorf("poster %v", b)
	}
	if w := dropGet(mux, "/d/"+dropBroke+"/poster.png", ""); w.Code != http.StatusServiceUnavailable || strings.Contains(w.Body.String(), "fire") {
		t.Errorf("failing poster: status %d body %q", w.Code, w.Body)
	}
}

func TestSafeLink(t *testing.T) {
	for in, want := range map[string]string{
		"https://t.me/shopbot?start=drop_abcd2345": "https://t.me/shopbot?start=drop_abcd2345",
		"tg://resolve?domain=shopbot":              "tg://resolve?domain=shopbot",
		"/chat?drop=abcd2345":                      "/chat?drop=abcd2345",
		"javascript:alert(1)":                      "",
		"//evil.example/x":                         "",
		"https:///nohost":                          "",
		"data:text/html,hi":                        "",
		"":                                         "",
	} {
		if got := string(safeLink(in)); got != want {
			t.Errorf("safeLink(%q) = %q, want %q", in, got, want)
		}
	}
}
