package wechat_test

import (
	"bytes"
	"context"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"shopbot/bot"
	"shopbot/bot/wechat"
	"shopbot/commerce"
	"shopbot/qrscan"
)

const staffOpenID = "oStaffCounter1"

// imageHarness is a harness whose router has pickup on, staffOpenID as
// staff of the first demo point, and qrscan.Decode recording the photos
// it reads.
type imageHarness struct {
	*harness
	mu     sync.Mutex
	photos [][]byte
}

func newImageHarness(t *testing.T, mods ...func(*wechat.Options)) *imageHarness {
	t.Helper()
	ih := &imageHarness{}
	ih.harness = newRouterHarness(t, func(h *harness, o *bot.Options) {
		ctx := context.Background()
		pickup, err := commerce.NewPickup(commerce.PickupOptions{Store: h.store, Secret: bytes.Repeat([]byte("k"), 32)})
		if err != nil {
			t.Fatal(err)
		}
		pts, err := h.store.PickupPoints(ctx)
		if err != nil || len(pts) == 0 {
			t.Fatalf("pickup points: %v %v", pts, err)
		}
		pts[0].Staff = append(pts[0].Staff, bot.ChannelWeChat+":"+staffOpenID)
		if _, err := pickup.SavePoint(ctx, pts[0]); err != nil {
			t.Fatal(err)
		}
		o.Pickup = pickup
		o.DecodeQR = func(img []byte) (string, error) {
			ih.mu.Lock()
			ih.photos = append(ih.photos, append([]byte(nil), img...))
			ih.mu.Unlock()
			return qrscan.Decode(img)
		}
	}, mods...)
	return ih
}

func (ih *imageHarness) decoded() [][]byte {
	ih.mu.Lock()
	defer ih.mu.Unlock()
	return append([][]byte(nil), ih.photos...)
}

// sendImage posts an image message whose picture is at picURL and returns
// the passive reply's content.
func (ih *imageHarness) sendImage(from, picURL string) string {
	ih.t.Helper()
	ih.clock.Advance(time.Second)
	x := client.ImageXML(from, picURL, "media-1", ih.msgID.Add(1), ih.clock.Now().Unix())
	return ih.open(ih.post(x)).Content
}

func qrPNG(t *testing.T, text string) []byte {
	t.Helper()
	b, err := qrcode.Encode(text, qrcode.Medium, 384)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestImageToRouter: a staff member's photo of a QR code is downloaded and
// read like a typed code; a buyer's photo gets the router's answer.
func TestImageToRouter(t *testing.T) {
	t.Parallel()
	ih := newImageHarness(t)
	img := qrPNG(t, "000000") // a code no order has
	u := ih.api.AddImage(img)

	if got := ih.sendImage(staffOpenID, u); !strings.HasPrefix(got, zh("err_wrong_code", nil)) {
		t.Errorf("staff photo answered %q", got)
	}
	if got := ih.decoded(); len(got) != 1 || !bytes.Equal(got[0], img) {
		t.Fatalf("decoder got %d photos; want the picture sent", len(got))
	}
	if got := ih.sendImage("oBuyerPhoto1", u); !strings.HasPrefix(got, zh("photo_not_supported", nil)) {
		t.Errorf("buyer photo answered %q", got)
	}
	if n := len(ih.decoded()); n != 1 {
		t.Errorf("a buyer's photo was decoded")
	}
	if ih.api.ImageGets() != 2 || ih.routed.Load() != 2 || ih.ev.get(wechat.EventImageFailed) != 0 {
		t.Errorf("gets %d, routed %d, failed %d", ih.api.ImageGets(), ih.routed.Load(), ih.ev.get(wechat.EventImageFailed))
	}
	// The same message delivered again is not routed again.
	x := client.ImageXML(staffOpenID, u, "media-1", 4242, ih.clock.Now().Unix())
	first := ih.open(ih.post(x)).Content
	if again := ih.open(ih.post(x)).Content; again != first || ih.routed.Load() != 3 {
		t.Errorf("redelivery: %q vs %q, routed %d", again, first, ih.routed.Load())
	}
}

// TestImageNotDownloaded: when the picture cannot be had, the fixed
// answer stands and the router is not involved.
func TestImageNotDownloaded(t *testing.T) {
	t.Parallel()
	const fixed = "暂时无法识别图片"
	ih := newImageHarness(t)
	big := ih.api.AddImage(make([]byte, wechat.MaxImageBytes+1))
	for _, tc := range []struct {
		name, url string
		gets      int // image requests made
		failed    int // counted as image_failed
	}{
		{"not found", ih.api.URL() + "/mmbiz_jpg/99/0", 1, 1},
		{"over the cap", big, 1, 1},
		{"no url", "", 0, 0},
		{"not http", "ftp://mmbiz.example/a.jpg", 0, 0},
		{"relative", "/mmbiz_jpg/1/0", 0, 0},
		{"with credentials", "http://user:pw@127.0.0.1:1/a.jpg", 0, 0},
		{"nothing listening", "http://127.0.0.1:1/a.jpg", 0, 1},
	} {
		gets, failed := ih.api.ImageGets(), ih.ev.get(wechat.EventImageFailed)
		if got := ih.sendImage(staffOpenID, tc.url); !strings.HasPrefix(got, fixed) {
			t.Errorf("%s: answered %q", tc.name, got)
		}
		if d := ih.api.ImageGets() - gets; d != tc.gets {
			t.Errorf("%s: %d image requests; want %d", tc.name, d, tc.gets)
		}
		if d := ih.ev.get(wechat.EventImageFailed) - failed; d != tc.failed {
			t.Errorf("%s: %d failures counted; want %d", tc.name, d, tc.failed)
		}
	}
	if n := ih.routed.Load(); n != 0 || len(ih.decoded()) != 0 {
		t.Errorf("routed %d, decoded %d", n, len(ih.decoded()))
	}
}

// TestImagePlaintext: a plaintext callback's body is not signed, so its
// PicUrl is not fetched.
func TestImagePlaintext(t *testing.T) {
	t.Parallel()
	ih := newImageHarness(t, func(o *wechat.Options) { o.Plaintext = true })
	u := ih.api.AddImage(qrPNG(t, "000000"))
	x := client.ImageXML(staffOpenID, u, "media-1", 1, ih.clock.Now().Unix())
	rec := ih.do("POST", plainQuery(ih.harness), []byte(x))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "暂时无法识别图片") {
		t.Fatalf("plaintext image: %d %s", rec.Code, rec.Body)
	}
	if ih.api.ImageGets() != 0 || ih.routed.Load() != 0 {
		t.Errorf("plaintext image fetched (%d) or routed (%d)", ih.api.ImageGets(), ih.routed.Load())
	}
}

// plainQuery signs a plaintext callback at the clock's time.
func plainQuery(h *harness) url.Values {
	ts := strconv.FormatInt(h.clock.Now().Unix(), 10)
	return url.Values{"timestamp": {ts}, "nonce": {"78"}, "signature": {sign(token, ts, "78")}}
}

// TestImageFromSeller: a seller's picture (WeChat images have no caption)
// starts a listing that asks for the title.
func TestImageFromSeller(t *testing.T) {
	t.Parallel()
	const sellerOpenID = "oSellerOwner1"
	h := newRouterHarness(t, func(h *harness, o *bot.Options) {
		o.Admins = []string{bot.ChannelWeChat + ":" + sellerOpenID}
		o.Seller = commerce.NewSeller(commerce.SellerOptions{Store: h.store})
	})
	ih := &imageHarness{harness: h}
	u := ih.api.AddImage(qrPNG(t, "a product, not a pass"))
	want := zh("seller_ask_title", map[string]any{"Max": commerce.MaxTitleRunes})
	if got := ih.sendImage(sellerOpenID, u); !strings.HasPrefix(got, want) {
		t.Errorf("seller photo answered %q; want %q…", got, want)
	}
}
