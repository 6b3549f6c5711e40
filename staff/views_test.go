package staff

import (
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/templates"
)

var update = flag.Bool("update", false, "rewrite the golden pages in testdata/")

func viewPage(t *testing.T) *Page {
	t.Helper()
	p, err := New(Options{Pickup: &commerce.Pickup{}, Key: staffTestKey, Store: testenv.SQLite(t), PublicURL: "https://shop.example"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// goldenViews are pages of every kind that has words of its own, with
// fixed data.
func goldenViews() map[string]*view {
	jingan := pointView{ID: 1, Code: "SH-JINGAN", Name: commerce.Text{"zh-CN": "静安寺自提点", "en": "Jing'an Temple pickup point", "ru": "Пункт выдачи «Цзинъань»"}, Selected: true}
	lujiazui := pointView{ID: 2, Code: "SH-LUJIAZUI", Name: commerce.Text{"zh-CN": "陆家嘴自提点", "en": "Lujiazui pickup point"}}
	serum := commerce.Text{"zh-CN": "玻尿酸精华液 30 ml", "en": "Hyaluronic acid serum 30 ml", "ru": "Сыворотка с гиалуроновой кислотой, 30 мл"}
	order := &orderView{PointID: 1, Number: "K7Q2M9", FirstName: "Alice", Total: "318.00 CNY",
		Lines: []lineView{{SKU: "COS-001", Title: serum, Qty: 2}}, Booking: "2026-11-25 14:00–14:15", ReadyAt: "2026-11-25 09:00", Input: "482 913",
		Amount: "318.00", Currency: "CNY", Methods: []string{"cash", "card", "transfer"}}
	done := *order
	done.Booking, done.RedeemedAt = "", "2026-11-25 14:05"
	done.Paid, done.PaidAmount, done.PaidMethod = true, "318.00 CNY", "pay_cash"
	offer := *order
	offer.WeChat = true
	qr := offer
	qr.QR = &qrView{Src: "/pay/qr/K7Q2M9P1.png", OutTradeNo: "K7Q2M9P1", Amount: "318.00 CNY"}
	paidQR := *order
	paidQR.Paid, paidQR.PaidAmount, paidQR.PaidMethod = true, "318.00 CNY", "pay_wechatpay"
	counter := func(o *orderView, n *notice) *view {
		return &view{Kind: kindCounter, Identity: "tg:42", CSRF: "csrf-token", Points: []pointView{jingan}, Point: jingan, Check: o, Notice: n}
	}
	return map[string]*view{
		"wechat_offer":          counter(&offer, nil),
		"wechat_qr":             counter(&qr, &notice{Level: "error", Key: "staffpage_wechat_not_yet"}),
		"wechat_paid":           counter(&paidQR, &notice{Level: "ok", Key: "staffpage_wechat_paid"}),
		"anon":                  {Kind: kindAnon, Notice: errorNotice("staffpage_link_expired")},
		"signed_in":             {Kind: kindSignedIn, Identity: "web:staff-jingan"},
		"login":                 {Kind: kindLogin, Identity: "web:staff-jingan", Token: "login-token"},
		"link_used":             {Kind: kindAnon, Notice: errorNotice("staffpage_link_used"), Back: true},
		"signed_out_everywhere": {Kind: kindSignedOut, Notice: &notice{Level: "ok", Key: "staffpage_signed_out_everywhere"}},
		"forbidden":             {Kind: kindForbidden, Identity: "web:alice", CSRF: "csrf-token"},
		"error":                 errorView("web:staff-jingan", "staffpage_internal"),
		"check": {Kind: kindCounter, Identity: "tg:42", CSRF: "csrf-token", Points: []pointView{jingan, lujiazui}, Point: jingan,
			Notice: &notice{Level: "error", Key: "staff_err_rate_limited", Data: map[string]any{"At": "09:10", "Minutes": 10}},
			Check:  order,
			Returns: []returnView{
				{ID: 7, PointID: 1, Point: jingan.Name, OrderNumber: "P3XW8R", Kind: "repair", Reason: "defective", Note: "screen flickers",
					Slot: "2026-11-26 11:00–11:15", Created: "2026-11-24 18:04"},
				{ID: 8, PointID: 2, Point: lujiazui.Name, OrderNumber: "Q2M9K7", Kind: "return", Reason: "some_new_reason", Created: "2026-11-24 19:30"},
			}},
		"done": {Kind: kindCounter, Identity: "web:staff-jingan", CSRF: "csrf-token", Points: []pointView{jingan}, Point: jingan,
			Notice: &notice{Level: "ok", Key: "staffpage_done"}, Done: &done},
	}
}

// TestPagesGolden renders each kind of page in each language into
// testdata/<kind>.<lang>.html (go test ./staff -update rewrites them).
func TestPagesGolden(t *testing.T) {
	p := viewPage(t)
	for name, v := range goldenViews() {
		for _, lang := range templates.Locales {
			body, err := p.page(lang, v)
			if err != nil {
				t.Fatalf("%s in %s: %v", name, lang, err)
			}
			if strings.Contains(string(body), "staffpage_") || strings.Contains(string(body), "staff_err_") ||
				strings.Contains(string(body), "· pay_") {
				t.Errorf("%s in %s shows a text key instead of its text", name, lang)
			}
			path := filepath.Join("testdata", name+"."+lang+".html")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, body, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./staff -update)", err)
			}
			if string(body) != string(want) {
				t.Errorf("%s differs; run go test ./staff -update and review the diff", path)
			}
		}
	}
}

// Every text page.html asks for exists.
func TestPageKeysExist(t *testing.T) {
	texts := templates.MustLoad()
	keys := regexp.MustCompile(`\{\{t "([a-z_]+)"\}\}`).FindAllStringSubmatch(pageHTML, -1)
	if len(keys) < 30 {
		t.Fatalf("found only %d text keys in page.html; did the syntax change?", len(keys))
	}
	for _, k := range keys {
		if !texts.Has(k[1]) || texts.Topic(k[1]) != "staffpage" {
			t.Errorf("page.html uses %q, which is not a text of templates/locales/*/staffpage.txt", k[1])
		}
	}
}

// TestStaffLanguages: the page speaks the browser's language, defaults to
// Chinese, and the language links switch it for the following requests.
func TestStaffLanguages(t *testing.T) {
	t.Parallel()
	p := viewPage(t)
	mux := http.NewServeMux()
	p.Register(mux)
	get := func(target, accept string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		if accept != "" {
			r.Header.Set("Accept-Language", accept)
		}
		for _, c := range cookies {
			r.AddCookie(c)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		return w
	}
	for _, tc := range []struct{ accept, lang, want string }{
		{"", "zh-CN", "请向卖家索取员工登录链接"},
		{"zh-TW,zh;q=0.9", "zh-CN", "请向卖家索取员工登录链接"},
		{"en-GB,en;q=0.9", "en", "Ask your seller for a login link"},
		{"ru-RU,ru;q=0.9,en;q=0.8", "ru", "Попросите у продавца ссылку для входа"},
		{"fr-FR", "zh-CN", "请向卖家索取员工登录链接"},
	} {
		w := get("/staff", tc.accept)
		body := w.Body.String()
		if w.Code != http.StatusUnauthorized || !strings.Contains(body, tc.want) || !strings.Contains(body, `<html lang="`+tc.lang+`">`) {
			t.Errorf("Accept-Language %q: %d, want %s page with %q:\n%s", tc.accept, w.Code, tc.lang, tc.want, body)
		}
		if got := w.Header().Get("Content-Language"); got != tc.lang {
			t.Errorf("Accept-Language %q: Content-Language %q", tc.accept, got)
		}
		if len(w.Result().Cookies()) != 0 {
			t.Errorf("Accept-Language %q set cookies %v", tc.accept, w.Result().Cookies())
		}
	}
	// A language link: the page and the ones after it speak Russian.
	w := get("/staff?lang=ru", "en")
	if !strings.Contains(w.Body.String(), "Попросите у продавца") {
		t.Fatalf("?lang=ru:\n%s", w.Body)
	}
	var chosen *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == langCookie {
			chosen = c
		}
	}
	if chosen == nil || chosen.Value != "ru" || !chosen.HttpOnly {
		t.Fatalf("language cookie %+v", chosen)
	}
	if w := get("/staff/login?token=bad", "en", chosen); !strings.Contains(w.Body.String(), "Эта ссылка для входа недействительна.") {
		t.Errorf("after choosing Russian:\n%s", w.Body)
	}
	if w := get("/staff?lang=xx", "en", chosen); !strings.Contains(w.Body.String(), "Попросите у продавца") || len(w.Result().Cookies()) != 0 {
		t.Errorf("?lang=xx after choosing Russian: %v\n%s", w.Result().Cookies(), w.Body)
	}
	// The switch links to every locale, named in its own language.
	for _, want := range []string{`href="/staff?lang=zh-CN"`, ">中文<", `href="/staff?lang=en"`, ">English<", `<strong lang="ru">Русский</strong>`} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("language links lack %s", want)
		}
	}
}
