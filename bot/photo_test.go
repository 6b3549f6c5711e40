package bot_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"strconv"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"

	"shopbot/commerce"
)

// passPhoto is a photo of the buyer's pickup QR as the app renders it (the
// staff page URL with the pass token), re-encoded as a camera JPEG.
func passPhoto(t *testing.T, u *chat, o commerce.Order) []byte {
	t.Helper()
	pass, err := u.h.pickup.Pass(u.h.ctx, u.buyer(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	return qrPhoto(t, "https://shop.example/staff?t="+pass.Token)
}

// qrPhoto is a JPEG of a QR code carrying text.
func qrPhoto(t *testing.T, text string) []byte {
	t.Helper()
	b, err := qrcode.Encode(text, qrcode.Medium, 384)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 75}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// blankPhoto is a picture without any code.
func blankPhoto(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 320, 240))
	for i := range img.Pix {
		img.Pix[i] = uint8(100 + i%97)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestStaffPhotoOfPass: staff send a photo of the buyer's QR; it is
// inspected like a typed code, and handed over with the button.
func TestStaffPhotoOfPass(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	pt := h.point("SH-JINGAN")
	u := h.user(t, "photo-buyer", "en")
	o := u.readyOrder(pt)
	photo := passPhoto(t, u, o)
	st := h.staff(t, "staff-jingan")

	r := st.sendPhoto(photo, "")
	want := pointData(o, pt, "en")
	want["Buyer"] = "Ann"
	want["Lines"] = []map[string]any{{"Title": "Hyaluronic acid serum 30 ml", "Qty": 1, "Total": commerce.CNY(15900)}}
	wantText(t, r, 0, st.tx("staff_inspect", want))
	if got := h.order(o.ID).Status; got != commerce.StatusReadyForPickup {
		t.Fatalf("inspecting changed the order to %s", got)
	}
	wantText(t, st.press(findAction(t, r[0], "rd:")), 0, st.tx("staff_handed_over", want))
	if got := h.order(o.ID).Status; got != commerce.StatusPickedUp {
		t.Fatalf("order is %s after hand-over", got)
	}
	// The same photo again: already collected.
	wantText(t, st.sendPhoto(photo, ""), 0, st.tx("err_already_collected", nil))
}

func TestPhotoAnswers(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	jingan := h.point("SH-JINGAN")
	u := h.user(t, "photo-buyer-2", "en")
	o := u.readyOrder(jingan)
	photo := passPhoto(t, u, o)
	code := u.code(o)
	st := h.staff(t, "staff-jingan")

	// Buyers (even with their own pass) are told photos are not needed,
	// in their language, with the main menu.
	r := u.sendPhoto(photo, "")
	wantText(t, r, 0, u.tx("photo_not_supported", nil))
	findAction(t, r[0], "cats")
	ru := h.user(t, "photo-buyer-ru", "ru")
	wantText(t, ru.sendPhoto(blankPhoto(t), "привет"), 0, ru.tx("photo_not_supported", nil))
	// Staff in a group are nobody's staff.
	wantText(t, st.inGroup("g1").sendPhoto(photo, ""), 0, st.tx("photo_not_supported", nil))

	// Staff: no code in the photo, or a QR code that is no pickup pass.
	r = st.sendPhoto(blankPhoto(t), "")
	wantText(t, r, 0, st.tx("staff_photo_no_code", nil))
	findAction(t, r[0], "sm")
	wantText(t, st.sendPhoto(qrPhoto(t, "https://example.com/menu"), ""), 0, st.tx("staff_photo_no_code", nil))
	wantText(t, st.sendPhoto([]byte("not an image"), ""), 0, st.tx("staff_photo_no_code", nil))
	// None of that counted as a wrong code.
	n, err := h.wrongCodesAt(jingan.ID)
	if err != nil || n != 0 {
		t.Fatalf("photos without a code recorded %d failures (%v)", n, err)
	}
	// A damaged token in the code is a wrong code, as when typed.
	pass, err := h.pickup.Pass(h.ctx, u.buyer(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	damaged := []byte(pass.Token)
	if i := len(damaged) / 2; damaged[i] == 'A' {
		damaged[i] = 'B'
	} else {
		damaged[i] = 'A'
	}
	wantText(t, st.sendPhoto(qrPhoto(t, "https://shop.example/staff?t="+string(damaged)), ""), 0, st.tx("err_wrong_code", nil))
	// Staff of another point: the genuine pass is for elsewhere.
	other := h.staff(t, "staff-lujiazui")
	wantText(t, other.sendPhoto(photo, ""), 0, other.tx("err_wrong_point", nil))
	// An unreadable photo with the code typed as its caption.
	r = st.sendPhoto(blankPhoto(t), code)
	if !strings.Contains(r[0].Text, "№"+o.Number) {
		t.Fatalf("caption code = %q", r[0].Text)
	}
	findAction(t, r[0], "rd:")
	if h.order(o.ID).Status != commerce.StatusReadyForPickup {
		t.Fatal("order changed without a hand-over")
	}
}

// TestPhotoOfStaffOfSeveralPoints: the point question comes as for a
// typed code.
func TestPhotoOfStaffOfSeveralPoints(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	jingan, lujiazui := h.point("SH-JINGAN"), h.point("SH-LUJIAZUI")
	lujiazui.Staff = append(lujiazui.Staff, "web:staff-jingan")
	if _, err := h.pickup.SavePoint(h.ctx, lujiazui); err != nil {
		t.Fatal(err)
	}
	u := h.user(t, "photo-multi-buyer", "en")
	o := u.readyOrder(jingan)
	st := h.staff(t, "staff-jingan")
	r := st.sendPhoto(passPhoto(t, u, o), "")
	wantText(t, r, 0, st.tx("staff_choose_point", nil))
	nonce := strings.Split(findAction(t, r[0], "rp:"), ":")[1]
	r = st.press("rp:" + nonce + ":" + strconv.FormatInt(jingan.ID, 10))
	st.press(findAction(t, r[0], "rd:"))
	if h.order(o.ID).Status != commerce.StatusPickedUp {
		t.Fatal("not handed over")
	}
}

// TestPhotoWithoutDecoder: with Options.DecodeQR nil, staff are asked for
// the typed code and buyers get the usual answer.
func TestPhotoWithoutDecoder(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{pickup: &commerce.PickupOptions{}, admins: []string{"web:" + seller}, noQR: true})
	u := h.user(t, "nodecoder-buyer", "en")
	o := u.readyOrder(h.point("SH-JINGAN"))
	photo := passPhoto(t, u, o)
	wantText(t, u.sendPhoto(photo, ""), 0, u.tx("photo_not_supported", nil))
	st := h.staff(t, "staff-jingan")
	wantText(t, st.sendPhoto(photo, ""), 0, st.tx("staff_photo_no_code", nil))
	if h.order(o.ID).Status != commerce.StatusReadyForPickup {
		t.Fatal("order changed")
	}
}

// TestPhotoWithPickupOff: nobody is staff, photos get the buyer answer.
func TestPhotoWithPickupOff(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	st := h.staff(t, "staff-jingan")
	wantText(t, st.sendPhoto(blankPhoto(t), ""), 0, st.tx("photo_not_supported", nil))
}
