package bot_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"shopbot/bot"
	"shopbot/commerce"
)

const sellerID = "shop-owner"

func newSellerHarness(t *testing.T) *harness {
	t.Helper()
	return newHarness(t, harnessOptions{admins: []string{"web:" + sellerID}})
}

// productJPEG is a camera-like JPEG with an EXIF block holding a GPS tag
// and a comment, which the stored picture must not keep.
func productJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for y := range 300 {
		for x := range 400 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return withEXIF(buf.Bytes(), "GPS 31.2304N 121.4737E secret-home")
}

// withEXIF puts an APP1 Exif segment (a little-endian TIFF with one IFD0
// entry, the GPS IFD pointer, and a payload) right after the SOI marker.
func withEXIF(jpg []byte, payload string) []byte {
	var tiff bytes.Buffer
	tiff.WriteString("II")
	_ = binary.Write(&tiff, binary.LittleEndian, uint16(42))
	_ = binary.Write(&tiff, binary.LittleEndian, uint32(8))
	_ = binary.Write(&tiff, binary.LittleEndian, uint16(1))
	_ = binary.Write(&tiff, binary.LittleEndian, []uint16{0x8825, 4})
	_ = binary.Write(&tiff, binary.LittleEndian, []uint32{1, 26})
	_ = binary.Write(&tiff, binary.LittleEndian, uint32(0))
	tiff.WriteString(payload)
	seg := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func (h *harness) countImages() int {
	h.t.Helper()
	var n int
	if err := h.store.DB().QueryRowContext(h.ctx, `SELECT COUNT(*) FROM images`).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func (h *harness) countProducts() int {
	h.t.Helper()
	n, err := h.store.CountProducts(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

// TestSellerAddsProductFromPhoto: a caption with only a title; the bot asks
// for the price, the stock, the origin and the category in turn (refusing
// bad input without changing anything), previews the card exactly as
// buyers see it, and publishes once.
func TestSellerAddsProductFromPhoto(t *testing.T) {
	t.Parallel()
	h := newSellerHarness(t)
	s := h.user(t, sellerID, "en")
	products := h.countProducts()
	photo := productJPEG(t)

	r := s.sendPhoto(photo, "Hyaluronic serum 30 ml\nMade in Korea.")
	wantText(t, r, 0, s.tx("seller_ask_price", map[string]any{"Title": "Hyaluronic serum 30 ml", "Currency": "CNY", "Max": commerce.MaxTitleRunes}))
	cancel := findAction(t, r[0], "lx:")
	nonce := strings.TrimPrefix(cancel, "lx:")
	if h.countImages() != 1 {
		t.Fatalf("%d images stored after the photo; want 1", h.countImages())
	}

	for _, bad := range []string{"abc", "0", "-5", "12.345"} {
		wantText(t, s.send(bad), 0, s.tx("seller_bad_price", map[string]any{"Currency": "CNY"}))
	}
	wantText(t, s.send("$12.50"), 0, s.tx("seller_bad_currency", map[string]any{"Currency": "CNY"}))
	r = s.send("¥129")
	wantText(t, r, 0, s.tx("seller_ask_stock", map[string]any{"Title": "Hyaluronic serum 30 ml", "Currency": "CNY", "Max": commerce.MaxTitleRunes}))
	wantText(t, s.send("lots"), 0, s.tx("seller_bad_stock", map[string]any{"Max": commerce.MaxStock}))
	r = s.send("20 pcs")
	if !hasAction(r[0], "lo:"+nonce+":duty_paid") {
		t.Fatalf("origin buttons %v", actions(r[0]))
	}
	// A forged origin is a stale button and changes nothing.
	wantText(t, s.press("lo:"+nonce+":smuggled"), 0, s.tx("err_stale", nil))
	r = s.press("lo:" + nonce + ":duty_paid")
	cat := fmt.Sprintf("lc:%s:%d", nonce, h.cats["cosmetics"])
	if !hasAction(r[0], cat) {
		t.Fatalf("category buttons %v", actions(r[0]))
	}
	wantText(t, s.press(fmt.Sprintf("lc:%s:%d", nonce, 999999)), 0, r[0].Text) // unknown category: asked again
	if h.countProducts() != products {
		t.Fatal("a product was created before publishing")
	}

	r = s.press(cat)
	wantText(t, r, 0, s.tx("seller_preview", nil))
	preview := r[1]
	if !strings.HasPrefix(preview.Image, "/img/up-") || !strings.HasSuffix(preview.Image, ".jpg") {
		t.Fatalf("preview image %q", preview.Image)
	}
	publish := findAction(t, preview, "lp:")

	r = s.press(publish)
	if h.countProducts() != products+1 {
		t.Fatalf("%d products after publishing; want %d", h.countProducts(), products+1)
	}
	p, err := h.store.ProductBySKU(h.ctx, commerce.SellerSKUPrefix+nonce)
	if err != nil {
		t.Fatal(err)
	}
	if p.Price != commerce.CNY(12900) || p.Stock != 20 || p.Origin != commerce.OriginDutyPaid || p.CategoryID != h.cats["cosmetics"] ||
		!p.Active || p.Title["en"] != "Hyaluronic serum 30 ml" || p.Description["en"] != "Made in Korea." || "/img/"+p.Image != preview.Image {
		t.Fatalf("published %+v", p)
	}
	if !strings.HasPrefix(r[0].Text, s.tx("seller_published", map[string]any{"Title": "Hyaluronic serum 30 ml"})) {
		t.Fatalf("after publishing: %q", r[0].Text)
	}
	if hasAction(r[0], fmt.Sprintf("dn:%d", p.ID)) {
		t.Error("drops are off, yet the seller's card offers to create a drop")
	}

	// Pressed again (a double tap, or a redelivered update after the
	// listing was cleared): the same product, not a second one.
	r = s.press(publish)
	if !strings.HasPrefix(r[0].Text, s.tx("seller_already_published", nil)) || h.countProducts() != products+1 {
		t.Fatalf("second publish: %q, %d products", r[0].Text, h.countProducts())
	}

	// Buyers see what the preview showed.
	u := h.user(t, "buyer-sees-new", "en")
	card := u.press(fmt.Sprintf("p:%d", p.ID))
	if card[0].Text != preview.Text || card[0].Image != preview.Image {
		t.Fatalf("buyer card\n%q %q\npreview\n%q %q", card[0].Text, card[0].Image, preview.Text, preview.Image)
	}
	if hasAction(card[0], fmt.Sprintf("am:%d", p.ID)) {
		t.Fatal("a buyer got the seller's manage button")
	}

	// The stored picture has no metadata.
	img, err := h.store.Image(h.ctx, p.Image)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(img.Data, []byte("Exif")) || bytes.Contains(img.Data, []byte("secret-home")) || img.ContentType != "image/jpeg" {
		t.Fatalf("stored picture keeps metadata or has type %q", img.ContentType)
	}
}

// TestSellerCaptionFillsEverything: one caption with everything but the
// category; a Chinese caption in a Chinese chat.
func TestSellerCaptionFillsEverything(t *testing.T) {
	t.Parallel()
	h := newSellerHarness(t)
	s := h.user(t, sellerID, "zh-CN")
	r := s.sendPhoto(productJPEG(t), "面霜 50ml 129元 库存20 #完税")
	wantText(t, r, 0, s.tx("seller_ask_category", map[string]any{"Title": "面霜 50ml", "Currency": "CNY", "Max": commerce.MaxTitleRunes}))
	r = s.press(findAction(t, r[0], "lc:"))
	r = s.press(findAction(t, r[1], "lp:"))
	if !strings.Contains(r[0].Text, "面霜 50ml") || !strings.Contains(r[0].Text, "¥129.00") {
		t.Fatalf("published card %q", r[0].Text)
	}
}

func TestSellerCancelsListing(t *testing.T) {
	t.Parallel()
	h := newSellerHarness(t)
	s := h.user(t, sellerID, "ru")
	products := h.countProducts()
	r := s.sendPhoto(productJPEG(t), "")
	wantText(t, r, 0, s.tx("seller_ask_title", map[string]any{"Title": "", "Currency": "CNY", "Max": commerce.MaxTitleRunes}))
	wantText(t, s.send(strings.Repeat("я", commerce.MaxTitleRunes+1)), 0, s.tx("seller_bad_title", map[string]any{"Max": commerce.MaxTitleRunes}))
	r = s.send("Сыворотка")
	cancel := findAction(t, r[0], "lx:")
	wantText(t, s.press(cancel), 0, s.tx("seller_cancelled", nil))
	// The listing is gone: its buttons are stale, typed text is just text.
	wantText(t, s.press("lp:"+strings.TrimPrefix(cancel, "lx:")), 0, s.tx("err_stale", nil))
	wantText(t, s.send("129"), 0, s.tx("help_unknown", nil))
	if h.countProducts() != products {
		t.Fatal("a cancelled listing created a product")
	}
}

func TestSellerBadPhotos(t *testing.T) {
	t.Parallel()
	h := newSellerHarness(t)
	s := h.user(t, sellerID, "en")
	wantText(t, s.sendPhoto([]byte("not an image"), "Serum ¥129"), 0, s.tx("seller_photo_unreadable", nil))
	// A PNG header claiming 20000×20000 pixels: refused before decoding.
	wantText(t, s.sendPhoto(pngHeader(20000, 20000), "Serum ¥129"), 0,
		s.tx("seller_photo_too_large", map[string]any{"Max": commerce.MaxImagePixels / 1_000_000}))
	if h.countImages() != 0 {
		t.Fatal("an unusable photo was stored")
	}
}

// pngHeader is the start of a PNG of w×h (signature and IHDR only).
func pngHeader(w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, 1, 1))
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	b := buf.Bytes()
	binary.BigEndian.PutUint32(b[16:], uint32(w))
	binary.BigEndian.PutUint32(b[20:], uint32(h))
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// TestSellerToolsOnlyForAdmins: buyers, admins in groups and web users
// claiming an admin id without TrustWebIdentity get nothing of it.
func TestSellerToolsOnlyForAdmins(t *testing.T) {
	t.Parallel()
	h := newSellerHarness(t)
	id := h.id("COS-001")
	before := h.product("COS-001")
	u := h.user(t, "not-the-owner", "en")
	g := h.user(t, sellerID, "en").inGroup("g-1")
	for _, c := range []*chat{u, g} {
		wantText(t, c.sendPhoto(productJPEG(t), "Serum ¥129 x20 #dutypaid"), 0, c.tx("photo_not_supported", nil))
		wantText(t, c.send("/products"), 0, c.tx("help_unknown", nil))
		for _, a := range []string{fmt.Sprintf("am:%d", id), fmt.Sprintf("ae:%d:price", id), fmt.Sprintf("ah:%d:0", id), "al:0", "lp:0123456789"} {
			wantText(t, c.press(a), 0, c.tx("err_stale", nil))
		}
	}
	if after := h.product("COS-001"); h.countImages() != 0 || after.Price != before.Price || after.Active != before.Active ||
		after.Stock != before.Stock || after.Title.In("en") != before.Title.In("en") {
		t.Fatal("someone who is not the seller changed something")
	}
}

// TestSellerEditsProduct: /products, the seller's card, each edit with bad
// input refused first.
func TestSellerEditsProduct(t *testing.T) {
	t.Parallel()
	h := newSellerHarness(t)
	s := h.user(t, sellerID, "en")
	p := h.product("COS-001")
	id := p.ID

	r := s.send("/products")
	findAction(t, r[0], fmt.Sprintf("am:%d", id))
	findAction(t, r[0], "al:1") // more than one page of demo products
	r = s.press(fmt.Sprintf("am:%d", id))
	for _, a := range []string{"ae:%d:price", "ae:%d:stock", "ae:%d:title", "ae:%d:desc", "ah:%d:0"} { // no "dn:": drops are off
		findAction(t, r[0], fmt.Sprintf(a, id))
	}
	// The buyer's card of an admin leads to it too.
	findAction(t, s.press(fmt.Sprintf("p:%d", id))[0], fmt.Sprintf("am:%d", id))

	// Price, while a buyer is checking out with the old one.
	pricey := h.user(t, "buyer-at-old-price", "en")
	pricey.add("COS-001", 1)
	pricey.toPhoneStep(h.points[0])
	s.press(fmt.Sprintf("ae:%d:price", id))
	wantText(t, s.send("cheap"), 0, s.tx("seller_bad_price", map[string]any{"Currency": "CNY"}))
	if h.product("COS-001").Price != p.Price {
		t.Fatal("a refused price changed the product")
	}
	r = s.send("99.90")
	if got := h.product("COS-001").Price; got != commerce.CNY(9990) || !strings.HasPrefix(r[0].Text, s.tx("seller_saved", nil)) {
		t.Fatalf("price %v after editing; reply %q", got, r[0].Text)
	}
	wantText(t, pricey.send(phone), 0, pricey.tx("err_price_changed", nil))
	if n := h.countOrders(); n != 0 {
		t.Fatalf("%d orders at the old price", n)
	}

	// Stock: a buyer orders while the seller types; the seller's count
	// is applied as a difference, so the sale stands.
	start := h.stock("COS-001")
	s.press(fmt.Sprintf("ae:%d:stock", id))
	u := h.user(t, "buyer-during-edit", "en")
	u.add("COS-001", 2)
	u.checkout()
	wantText(t, s.send("many"), 0, s.tx("seller_bad_stock", map[string]any{"Max": commerce.MaxStock}))
	r = s.send("50")
	if got := h.stock("COS-001"); got != 48 {
		t.Fatalf("stock %d after the seller set 50 (was %d) during a sale of 2; want 48", got, start)
	}
	if !strings.HasPrefix(r[0].Text, s.tx("seller_stock_moved", map[string]any{"Stock": 48, "Qty": 50})) {
		t.Fatalf("reply %q", r[0].Text)
	}
	s.press(fmt.Sprintf("ae:%d:stock", id))
	s.send("+5")
	if got := h.stock("COS-001"); got != 53 {
		t.Fatalf("stock %d after +5; want 53", got)
	}
	s.press(fmt.Sprintf("ae:%d:stock", id))
	wantText(t, s.send("-100"), 0, s.tx("seller_stock_short", map[string]any{"Stock": 53}))
	s.send("0")
	if got := h.stock("COS-001"); got != 0 {
		t.Fatalf("stock %d after 0; want 0", got)
	}

	// Title in the chat's language; the other languages stay.
	s.press(fmt.Sprintf("ae:%d:title", id))
	wantText(t, s.send(strings.Repeat("x", commerce.MaxTitleRunes+1)), 0, s.tx("seller_bad_title", map[string]any{"Max": commerce.MaxTitleRunes}))
	s.send("  Serum   30 ml  ")
	got := h.product("COS-001")
	if got.Title["en"] != "Serum 30 ml" || got.Title["zh-CN"] != p.Title["zh-CN"] || got.Title["ru"] != p.Title["ru"] {
		t.Fatalf("titles after editing the English one: %v", got.Title)
	}

	// Description: "-" removes it.
	s.press(fmt.Sprintf("ae:%d:desc", id))
	s.send("-")
	if d := h.product("COS-001").Description["en"]; d != "" {
		t.Fatalf("description %q after removing", d)
	}

	// A cancelled edit changes nothing; the next text is not taken as a value.
	s.press(fmt.Sprintf("ae:%d:price", id))
	s.press(fmt.Sprintf("ax:%d", id))
	s.send("1")
	if h.product("COS-001").Price != commerce.CNY(9990) {
		t.Fatal("a cancelled edit changed the price")
	}
	// Unknown fields and products are stale.
	wantText(t, s.press(fmt.Sprintf("ae:%d:sku", id)), 0, s.tx("err_stale", nil))
	wantText(t, s.press("am:999999"), 0, s.tx("err_not_found", nil))
}

// TestSellerHidesProduct: a hidden product is gone from listings and deep
// links for buyers, a cart holding it drops it, an order placed before is
// untouched; showing brings it back.
func TestSellerHidesProduct(t *testing.T) {
	t.Parallel()
	h := newSellerHarness(t)
	s := h.user(t, sellerID, "en")
	p := h.product("COS-001")
	u := h.user(t, "buyer-before-hide", "en")
	u.add("COS-001", 1)
	o := u.checkout()
	u.add("COS-001", 1)

	r := s.press(fmt.Sprintf("ah:%d:0", p.ID))
	if !strings.HasPrefix(r[0].Text, s.tx("seller_hidden", nil)) || h.product("COS-001").Active {
		t.Fatalf("hide: %q", r[0].Text)
	}
	findAction(t, r[0], fmt.Sprintf("ah:%d:1", p.ID))

	b := h.user(t, "buyer-after-hide", "en")
	list := b.press(fmt.Sprintf("cat:%d:0", p.CategoryID))
	if hasAction(list[0], fmt.Sprintf("p:%d", p.ID)) {
		t.Fatal("the category still lists the hidden product")
	}
	wantText(t, b.press(fmt.Sprintf("p:%d", p.ID)), 0, b.tx("err_unavailable", nil))
	wantText(t, b.send(fmt.Sprintf("/start p_%d", p.ID)), 0, b.tx("err_unavailable", nil))
	wantText(t, u.press("cart"), 0, u.tx("cart_dropped", map[string]any{"N": 1}))
	if got, err := h.store.Order(h.ctx, o.ID); err != nil || got.Status != o.Status || len(got.Lines) != 1 {
		t.Fatalf("order placed before hiding: %+v, %v", got, err)
	}
	// The seller still finds it in /products, marked.
	r = s.send("/products")
	if !strings.Contains(fmt.Sprint(r[0].Buttons), "🙈") {
		t.Fatalf("hidden product not marked in %v", r[0].Buttons)
	}

	s.press(fmt.Sprintf("ah:%d:1", p.ID))
	if !h.product("COS-001").Active {
		t.Fatal("show did not show")
	}
	if c := b.press(fmt.Sprintf("p:%d", p.ID)); c[0].Text == b.tx("err_unavailable", nil) {
		t.Fatal("shown product still unavailable")
	}
}

// TestSellerPublishSurvivesRetry: the same update delivered twice is
// answered once; a publish pressed from two devices makes one product.
func TestSellerPublishSurvivesRetry(t *testing.T) {
	t.Parallel()
	h := newSellerHarness(t)
	s := h.user(t, sellerID, "en")
	r := s.sendPhoto(productJPEG(t), "Serum ¥129 x20 #local")
	r = s.press(findAction(t, r[0], "lc:"))
	publish := findAction(t, r[1], "lp:")
	products := h.countProducts()
	m := s.base
	m.Action, m.UpdateID = publish, "retried-update"
	if _, err := s.handle(m); err != nil {
		t.Fatal(err)
	}
	if _, err := s.handle(m); err != bot.ErrDuplicate {
		t.Fatalf("redelivered update err = %v; want ErrDuplicate", err)
	}
	s.press(publish)
	if h.countProducts() != products+1 {
		t.Fatalf("%d products; want %d", h.countProducts(), products+1)
	}
}

// TestSellerWhoIsStaff: an admin who also staffs a counter photographs a
// buyer's pass (handled as staff) and a product (a listing).
func TestSellerWhoIsStaff(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{pickup: &commerce.PickupOptions{}, admins: []string{"web:" + seller, "web:staff-jingan"}})
	pt := h.point("SH-JINGAN")
	u := h.user(t, "buyer-of-staff-seller", "en")
	o := u.readyOrder(pt)
	st := h.staff(t, "staff-jingan")
	r := st.sendPhoto(passPhoto(t, u, o), "")
	findAction(t, r[0], "rd:")
	if h.countImages() != 0 {
		t.Fatal("a pickup pass was stored as a product picture")
	}
	r = st.sendPhoto(productJPEG(t), "Serum ¥129 x20 #local")
	findAction(t, r[0], "lc:")
}
