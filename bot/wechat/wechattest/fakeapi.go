// Package wechattest is the WeChat side of the adapter's tests and of the
// benchmark: an httptest fake of the Official Account API, a client that
// signs and encrypts callbacks as WeChat's servers do (written from the
// specification, independently of the library), and a concurrent callback
// driver. It never reaches the network.
package wechattest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
)

// FakeAPI is an httptest fake of the Official Account API: stable_token,
// message/custom/send, message/template/send, menu/create, qrcode/create,
// showqrcode, and the web page's sign-in (oauth.go). Every call but stable_token needs the current access token.
// It also plays WeChat's image server: pictures users sent (AddImage) are
// served at the PicUrl an image message carries.
type FakeAPI struct {
	srv *httptest.Server

	mu           sync.Mutex
	appID        string
	secret       string
	gen          int    // token generation
	token        string // the valid access token ("" until first fetched)
	staleOnce    bool   // next non-forced stable_token returns the old token once
	tokenCalls   int
	forcedCalls  int
	rejected     int              // API calls answered 40001
	kf           []map[string]any // custom/send bodies, in order
	templates    []map[string]any
	menus        []map[string]any
	qrs          []map[string]any
	kfErrCode    int64 // answer custom/send with this errcode when set
	templateFail bool  // answer template/send with HTTP 500
	images       [][]byte
	imageGets    int
	oauth        oauthState
}

// QRTicket is the ticket qrcode/create answers (it needs URL escaping).
const QRTicket = "gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw=="

// NewFakeAPI starts the fake for one app; Close stops it.
func NewFakeAPI(appID, secret string) *FakeAPI {
	f := &FakeAPI{appID: appID, secret: secret}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cgi-bin/stable_token", f.stableToken)
	mux.HandleFunc("POST /cgi-bin/message/custom/send", f.api("kf", &f.kf))
	mux.HandleFunc("POST /cgi-bin/message/template/send", f.api("template", &f.templates))
	mux.HandleFunc("POST /cgi-bin/menu/create", f.api("menu", &f.menus))
	mux.HandleFunc("POST /cgi-bin/qrcode/create", f.api("qrcode", &f.qrs))
	mux.HandleFunc("GET /cgi-bin/showqrcode", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("ticket") != QRTicket {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write([]byte("\x89PNG\r\n\x1a\nfake"))
	})
	mux.HandleFunc("GET /mmbiz_jpg/{n}/0", f.image)
	f.registerOAuth(mux)
	f.srv = httptest.NewServer(mux)
	return f
}

// AddImage stores a picture as if a user had sent it and returns its
// PicUrl (see Client.ImageXML).
func (f *FakeAPI) AddImage(data []byte) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.images = append(f.images, append([]byte(nil), data...))
	return fmt.Sprintf("%s/mmbiz_jpg/%d/0", f.srv.URL, len(f.images))
}

// ImageGets counts the requests for pictures, found or not.
func (f *FakeAPI) ImageGets() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.imageGets
}

func (f *FakeAPI) image(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.imageGets++
	n, err := strconv.Atoi(r.PathValue("n"))
	var data []byte
	if err == nil && n >= 1 && n <= len(f.images) {
		data = f.images[n-1]
	}
	f.mu.Unlock()
	if data == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	_, _ = w.Write(data)
}

// URL is the API base (and showqrcode base) to configure.
func (f *FakeAPI) URL() string { return f.srv.URL }

// Close stops the server.
func (f *FakeAPI) Close() { f.srv.Close() }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *FakeAPI) stableToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.GrantType != "client_credential" {
		writeJSON(w, map[string]any{"errcode": 40002, "errmsg": "invalid grant_type"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.AppID != f.appID || req.Secret != f.secret {
		writeJSON(w, map[string]any{"errcode": 40125, "errmsg": "invalid appsecret"})
		return
	}
	f.tokenCalls++
	if req.ForceRefresh {
		f.forcedCalls++
	}
	tok := f.token
	switch {
	case f.staleOnce && !req.ForceRefresh && f.gen > 1:
		f.staleOnce = false
		tok = fmt.Sprintf("TOKEN-%d", f.gen-1) // stable: the old one, still "stable" for this caller
	case f.token == "" || req.ForceRefresh:
		f.gen++
		f.token = fmt.Sprintf("TOKEN-%d", f.gen)
		tok = f.token
	}
	writeJSON(w, map[string]any{"access_token": tok, "expires_in": 7200})
}

// Invalidate makes the current token invalid (as if refreshed elsewhere):
// the next stable_token returns a new one, or with staleOnce first the old
// one once more.
func (f *FakeAPI) Invalidate(staleOnce bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gen++
	f.token = fmt.Sprintf("TOKEN-%d", f.gen)
	f.staleOnce = staleOnce
}

func (f *FakeAPI) api(name string, into *[]map[string]any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		defer f.mu.Unlock()
		if tok := r.URL.Query().Get("access_token"); tok == "" || tok != f.token {
			f.rejected++
			writeJSON(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"})
			return
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			writeJSON(w, map[string]any{"errcode": 47001, "errmsg": "data format error"})
			return
		}
		switch {
		case name == "kf" && f.kfErrCode != 0:
			writeJSON(w, map[string]any{"errcode": f.kfErrCode, "errmsg": "refused"})
			return
		case name == "template" && f.templateFail:
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		*into = append(*into, m)
		switch name {
		case "template":
			writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": 200228332})
		case "qrcode":
			writeJSON(w, map[string]any{"ticket": QRTicket, "expire_seconds": 2592000, "url": "http://weixin.qq.com/q/kZgfwMTm72WWPkovabbI"})
		default:
			writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
		}
	}
}

// KF returns the customer-service messages accepted, in order.
func (f *FakeAPI) KF() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.kf...)
}

// Templates returns the template messages accepted.
func (f *FakeAPI) Templates() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.templates...)
}

// Menus returns the menu/create bodies accepted.
func (f *FakeAPI) Menus() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.menus...)
}

// QRs returns the qrcode/create bodies accepted.
func (f *FakeAPI) QRs() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.qrs...)
}

// Counts returns the stable_token calls (and how many forced a refresh)
// and the API calls rejected with 40001.
func (f *FakeAPI) Counts() (tokenCalls, forced, rejected int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenCalls, f.forcedCalls, f.rejected
}

// SetKFError makes custom/send answer errcode code (0: accept).
func (f *FakeAPI) SetKFError(code int64) {
	f.mu.Lock()
	f.kfErrCode = code
	f.mu.Unlock()
}

// SetTemplateFail makes template/send answer HTTP 500.
func (f *FakeAPI) SetTemplateFail(v bool) {
	f.mu.Lock()
	f.templateFail = v
	f.mu.Unlock()
}
