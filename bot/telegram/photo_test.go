package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/jpeg"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shopbot/bot"
	"shopbot/bot/telegram/telegramtest"
	"shopbot/commerce"
	"shopbot/templates"
)

// photoEnv is a test env whose router has pickup on, alice (tg:1001) as
// staff of the first demo point, and a QR decoder that records the photos
// it is given and reads every one as the code "000000".
type photoEnv struct {
	*testEnv
	mu     sync.Mutex
	photos [][]byte
}

func newPhotoEnv(t *testing.T, eo ...envOption) *photoEnv {
	t.Helper()
	p := &photoEnv{}
	eo = append(eo, withRouter(func(e *testEnv, o *bot.Options) {
		ctx := context.Background()
		pickup, err := commerce.NewPickup(commerce.PickupOptions{Store: e.store, Secret: bytes.Repeat([]byte("k"), 32)})
		if err != nil {
			t.Fatal(err)
		}
		pts, err := e.store.PickupPoints(ctx)
		if err != nil || len(pts) == 0 {
			t.Fatalf("pickup points: %v %v", pts, err)
		}
		pts[0].Staff = append(pts[0].Staff, "tg:"+itoa(alice.ID))
		if _, err := pickup.SavePoint(ctx, pts[0]); err != nil {
			t.Fatal(err)
		}
		o.Pickup = pickup
		o.DecodeQR = func(img []byte) (string, error) {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.photos = append(p.photos, append([]byte(nil), img...))
			return "000000", nil
		}
	}))
	p.testEnv = newEnv(t, eo...)
	return p
}

func (p *photoEnv) decoded() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.photos...)
}

// postRaw delivers a webhook body built by telegramtest and expects 200.
func (e *testEnv) postRaw(t *testing.T, body []byte) {
	t.Helper()
	if rec := e.post(string(body), testSecret); rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
}

func (e *testEnv) lastText(t *testing.T, chat int64) string {
	t.Helper()
	m, ok := e.api.Last(chat)
	if !ok {
		t.Fatalf("nothing sent to %d", chat)
	}
	return m.Text
}

func en(key string) string { return templates.MustLoad().Text("en", key, nil) }

func TestPhotoFromStaff(t *testing.T) {
	t.Parallel()
	e := newPhotoEnv(t)
	img := bytes.Repeat([]byte("jpeg"), 5000)
	id := e.api.AddFile(img)

	// A photo: its largest size is downloaded and decoded; "000000" is no
	// order's code, which the staff member is told.
	e.postRaw(t, telegramtest.PhotoUpdate(501, alice.ID, alice.ID, id, len(img), "", "en"))
	if got := e.decoded(); len(got) != 1 || !bytes.Equal(got[0], img) {
		t.Fatalf("decoder got %d photos (first %d bytes); want the %d sent", len(got), len(first(got)), len(img))
	}
	if got := e.lastText(t, alice.ID); got != en("err_wrong_code") {
		t.Errorf("reply = %q", got)
	}
	calls := e.api.Calls("getFile", telegramtest.FileMethod)
	if len(calls) != 2 || calls[0].Params.Get("file_id") != id || calls[1].Params.Get("file_path") != "photos/file_1.jpg" || calls[1].Status != 200 {
		t.Errorf("calls = %+v", calls)
	}

	// A JPEG sent as a file.
	e.postRaw(t, telegramtest.DocumentUpdate(502, alice.ID, alice.ID, id, len(img), "image/jpeg", "pass.jpg", "en"))
	if got := e.decoded(); len(got) != 2 || !bytes.Equal(got[1], img) {
		t.Fatalf("document: decoder got %d photos", len(got))
	}
	// A redelivered update is dropped by the router: not decoded again,
	// nothing more sent.
	sent := len(e.api.Messages(alice.ID))
	e.postRaw(t, telegramtest.DocumentUpdate(502, alice.ID, alice.ID, id, len(img), "image/jpeg", "pass.jpg", "en"))
	if len(e.decoded()) != 2 || len(e.api.Messages(alice.ID)) != sent {
		t.Errorf("a redelivered photo was handled again")
	}
}

func first(b [][]byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b[0]
}

func TestPhotoFromBuyer(t *testing.T) {
	t.Parallel()
	e := newPhotoEnv(t)
	id := e.api.AddFile([]byte("not even an image"))
	e.postRaw(t, telegramtest.PhotoUpdate(601, boris.ID, boris.ID, id, 17, "смотрите", "ru"))
	if got := e.lastText(t, boris.ID); got != templates.MustLoad().Text("ru", "photo_not_supported", nil) {
		t.Errorf("reply = %q", got)
	}
	if n := len(e.decoded()); n != 0 {
		t.Errorf("a buyer's photo was decoded (%d)", n)
	}
	// In a group photos are ignored, staff or not, as before.
	before := len(e.api.Calls())
	e.postRaw(t, telegramtest.PhotoUpdate(602, group.ID, alice.ID, id, 17, "@"+fakeBotName, "en"))
	if calls := e.api.Calls(); len(calls) != before {
		t.Errorf("group photo made calls: %+v", calls[before:])
	}
	if len(e.api.Messages(group.ID)) != 0 || e.events.get(EventIgnored) != 1 {
		t.Errorf("group photo answered, or not counted as ignored")
	}
}

func TestPhotoDownloadFails(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte{0xff}, bot.MaxPhotoBytes+1)
	for _, tc := range []struct {
		name  string
		setup func(e *photoEnv) string // returns the file id to send
		opts  []envOption
	}{
		{"file server error", func(e *photoEnv) string {
			e.api.Inject(telegramtest.FileMethod, telegramtest.Fault{Code: 500, NonJSON: true})
			return e.api.AddFile([]byte("jpeg"))
		}, nil},
		{"file not found", func(e *photoEnv) string {
			e.api.Inject(telegramtest.FileMethod, telegramtest.Fault{Code: 404, Desc: "Not Found"})
			return e.api.AddFile([]byte("jpeg"))
		}, nil},
		{"unknown file id", func(e *photoEnv) string { return "no-such-file" }, nil},
		{"over the cap (size unknown in the update)", func(e *photoEnv) string { return e.api.AddFile(big) }, nil},
		{"empty file", func(e *photoEnv) string { return e.api.AddFile(nil) }, nil},
		{"timeout", func(e *photoEnv) string { return e.api.AddFile([]byte("jpeg")) },
			[]envOption{withOptions(func(o *Options) { o.DownloadTimeout = time.Nanosecond })}},
		{"file server unreachable", func(e *photoEnv) string {
			e.a.fileEndpoint = "http://127.0.0.1:1/file/bot%s/%s" // nothing listens on port 1
			return e.api.AddFile([]byte("jpeg"))
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newPhotoEnv(t, tc.opts...)
			id := tc.setup(e)
			upd := telegramtest.PhotoUpdate(701, alice.ID, alice.ID, id, 0, "", "en")
			// The update carries no size: only getFile or the download tell.
			var u map[string]any
			_ = json.Unmarshal(upd, &u)
			for _, p := range u["message"].(map[string]any)["photo"].([]any) {
				delete(p.(map[string]any), "file_size")
			}
			upd, _ = json.Marshal(u)
			e.postRaw(t, upd)
			if n := len(e.decoded()); n != 0 {
				t.Errorf("decoder called %d times", n)
			}
			if got := e.lastText(t, alice.ID); got != en("error_internal") {
				t.Errorf("reply = %q", got)
			}
			if e.events.get(EventPhotoFailed) != 1 {
				t.Errorf("photo_failed not counted")
			}
			if strings.Contains(e.logs.String(), testToken) {
				t.Errorf("token in the log")
			}
		})
	}
}

func TestFileEndpointFor(t *testing.T) {
	t.Parallel()
	for api, want := range map[string]string{
		tgbotapi.APIEndpoint:                 tgbotapi.FileEndpoint,
		"http://127.0.0.1:8081/bot%s/%s":     "http://127.0.0.1:8081/file/bot%s/%s",
		"https://proxy.example/tg/bot%s/%s":  "https://proxy.example/tg/file/bot%s/%s",
		"https://proxy.example/%s/method/%s": "",
		"https://proxy.example/%s/bot%s/%s":  "",
	} {
		if got := fileEndpointFor(api); got != want {
			t.Errorf("fileEndpointFor(%q) = %q; want %q", api, got, want)
		}
	}
}

// TestPhotoFromSeller: an admin's photo with a caption in the private chat
// reaches the router with its caption, and starts a listing there.
func TestPhotoFromSeller(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withRouter(func(e *testEnv, o *bot.Options) {
		o.Admins = []string{"tg:" + itoa(boris.ID)}
		o.Seller = commerce.NewSeller(commerce.SellerOptions{Store: e.store})
	}))
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 64, 48)), nil); err != nil {
		t.Fatal(err)
	}
	id := e.api.AddFile(buf.Bytes())
	e.postRaw(t, telegramtest.PhotoUpdate(701, boris.ID, boris.ID, id, buf.Len(), "Serum 30 ml ¥129 x20 #dutypaid", "en"))
	want := templates.MustLoad().Text("en", "seller_ask_category", map[string]any{"Title": "Serum 30 ml"})
	if got := e.lastText(t, boris.ID); got != want {
		t.Fatalf("reply = %q; want %q", got, want)
	}
}
