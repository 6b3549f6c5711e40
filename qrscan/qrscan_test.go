package qrscan_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/image/draw"

	"shopbot/commerce"
	"shopbot/qrscan"
)

// passURL is what a buyer's pickup QR carries: the staff page with a
// signed pass token (see app's pickupQR).
func passURL() string {
	tok := commerce.SignPickupToken([]byte("0123456789abcdef0123456789abcdef"), commerce.PickupClaims{
		OrderID: 1234, PointID: 2, Code: "482913", Expires: time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC),
	})
	return "https://shop.example.com/staff?t=" + tok
}

// passPNG renders text as the app does (medium recovery, 384 px).
func passPNG(t testing.TB, text string) []byte {
	t.Helper()
	b, err := qrcode.Encode(text, qrcode.Medium, 384)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeImage(t testing.TB, b []byte) image.Image {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// gray copies img into a grey picture (helpers below work on its pixels
// directly: per-pixel At and Set are slow under the race detector).
func gray(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok && g.Rect.Min == (image.Point{}) {
		return g
	}
	g := image.NewGray(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(g, g.Rect, img, img.Bounds().Min, draw.Src)
	return g
}

// scale resizes img by f with bilinear filtering (a phone's downscaled photo).
func scale(img image.Image, f float64) *image.Gray {
	b := img.Bounds()
	dst := image.NewGray(image.Rect(0, 0, int(float64(b.Dx())*f), int(float64(b.Dy())*f)))
	draw.BiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}

// rotate90 turns img a quarter clockwise.
func rotate90(img image.Image) *image.Gray {
	src := gray(img)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	dst := image.NewGray(image.Rect(0, 0, h, w))
	for y := range h {
		for x := range w {
			dst.Pix[x*dst.Stride+h-1-y] = src.Pix[y*src.Stride+x]
		}
	}
	return dst
}

// noisy is a grey picture with random speckle (a counter top, a sleeve).
func noisy(w, h int, seed uint64) *image.Gray {
	r := rand.New(rand.NewPCG(seed, 1))
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(110 + r.IntN(60))
	}
	return img
}

// paste draws img onto a larger noisy background at (x, y).
func paste(img image.Image, w, h, x, y int) *image.Gray {
	bg := noisy(w, h, 7)
	r := img.Bounds()
	draw.Draw(bg, image.Rect(x, y, x+r.Dx(), y+r.Dy()), img, r.Min, draw.Src)
	return bg
}

// invert turns img into its negative (a pass shown in dark mode).
func invert(img image.Image) *image.Gray {
	src := gray(img)
	dst := image.NewGray(src.Rect)
	for i, v := range src.Pix {
		dst.Pix[i] = 255 - v
	}
	return dst
}

func TestDecodePass(t *testing.T) {
	t.Parallel()
	want := passURL()
	orig := passPNG(t, want)
	img := decodeImage(t, orig)
	for _, tc := range []struct {
		name string
		data func() []byte
	}{
		{"png as rendered", func() []byte { return orig }},
		{"jpeg quality 70", func() []byte { return encodeJPEG(t, img, 70) }},
		{"scaled to 60%", func() []byte { return encodePNG(t, scale(img, 0.6)) }},
		{"scaled to 60% as jpeg", func() []byte { return encodeJPEG(t, scale(img, 0.6), 80) }},
		{"rotated on a noisy background", func() []byte { return encodePNG(t, paste(rotate90(img), 1200, 900, 517, 233)) }},
		{"rotated on a noisy background, jpeg", func() []byte { return encodeJPEG(t, paste(rotate90(img), 1200, 900, 517, 233), 70) }},
		{"rotated, scaled, on a noisy background, jpeg", func() []byte {
			return encodeJPEG(t, paste(rotate90(scale(img, 0.6)), 1024, 768, 400, 300), 75)
		}},
		{"inverted (dark mode)", func() []byte { return encodePNG(t, paste(invert(img), 800, 600, 200, 100)) }},
		{"transparent background", func() []byte {
			q, err := qrcode.New(want, qrcode.Medium)
			if err != nil {
				t.Fatal(err)
			}
			q.BackgroundColor = color.Transparent
			nrgba := image.NewNRGBA(image.Rect(0, 0, 384, 384))
			draw.Draw(nrgba, nrgba.Bounds(), q.Image(384), image.Point{}, draw.Src)
			return encodePNG(t, nrgba)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := qrscan.Decode(tc.data())
			if err != nil || got != want {
				t.Fatalf("Decode = %q, %v; want %q", got, err, want)
			}
			in, err := commerce.ParseRedeemInput(got)
			if err != nil || in.Token == "" {
				t.Fatalf("decoded text is no redeem input: %+v, %v", in, err)
			}
		})
	}
}

// TestDecodeCodesTheDetectorMisses: about 1 in 120 rendered codes (these
// texts, as JPEG) have finder patterns the detector misses; the
// whole-picture reading after it gets them. Staff photos of such passes
// failed before it.
func TestDecodeCodesTheDetectorMisses(t *testing.T) {
	t.Parallel()
	for _, text := range []string{
		"https://shop.example/staff?t=abcdefghijklmnopqrstuvwxyz0123456789-ej",
		"https://shop.example/staff?t=v1.81.9c99f.abcdefghij2511",
		"https://shop.example/staff?t=v1.309.25567b.abcdefghij9579",
		"https://shop.example/staff?t=v1.510.3da022.abcdefghij15810",
	} {
		t.Run(text[len(text)-6:], func(t *testing.T) {
			t.Parallel()
			if got, err := qrscan.Decode(encodeJPEG(t, decodeImage(t, passPNG(t, text)), 75)); err != nil || got != text {
				t.Fatalf("Decode = %q, %v", got, err)
			}
		})
	}
}

func TestDecodeNoCode(t *testing.T) {
	t.Parallel()
	empty := noisy(640, 480, 3)
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"noise png", encodePNG(t, empty), qrscan.ErrNoCode},
		{"noise jpeg", encodeJPEG(t, empty, 70), qrscan.ErrNoCode},
		{"blank", encodePNG(t, image.NewGray(image.Rect(0, 0, 50, 50))), qrscan.ErrNoCode},
		{"one pixel", encodePNG(t, image.NewGray(image.Rect(0, 0, 1, 1))), qrscan.ErrNoCode},
		{"empty input", nil, qrscan.ErrFormat},
		{"text", []byte("123456"), qrscan.ErrFormat},
		{"garbage", bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 1000), qrscan.ErrFormat},
		{"truncated png", passPNG(t, "x")[:100], qrscan.ErrFormat},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), qrscan.ErrFormat},
		{"over MaxBytes", make([]byte, qrscan.MaxBytes+1), qrscan.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := qrscan.Decode(tc.data)
			if !errors.Is(err, tc.want) || got != "" {
				t.Fatalf("Decode = %q, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// bombPNG is a PNG signature and an IHDR chunk declaring w×h pixels, then
// a bit of junk: a few dozen bytes that would decode to gigabytes.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit RGB, deflate, no filter, no interlace
	_ = binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	b.WriteString("\x00\x00\x00\x10IDAT junk junk junk")
	return b.Bytes()
}

// bombJPEG is a baseline JPEG header (SOI, SOF0, SOS) declaring w×h.
func bombJPEG(w, h uint16) []byte {
	b := []byte{0xff, 0xd8, 0xff, 0xc0, 0, 11, 8}
	b = binary.BigEndian.AppendUint16(b, h)
	b = binary.BigEndian.AppendUint16(b, w)
	b = append(b, 1, 1, 0x11, 0, 0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0)
	return b
}

// TestDecompressionBomb: huge declared dimensions are refused from the
// header alone. Not parallel, so the allocation count is this test's own.
func TestDecompressionBomb(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"png 100000x100000", bombPNG(100000, 100000)},
		{"png 1x40000001", bombPNG(1, qrscan.MaxPixels+1)},
		{"png 8000x5001", bombPNG(8000, 5001)},
		{"jpeg 65000x65000", bombJPEG(65000, 65000)},
		{"jpeg 10000x4001", bombJPEG(10000, 4001)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			got, err := qrscan.Decode(tc.data)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, qrscan.ErrTooLarge) || got != "" {
				t.Fatalf("Decode = %q, %v; want ErrTooLarge", got, err)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
				t.Errorf("refusing the bomb allocated %d bytes", n)
			}
		})
	}
	// Just under the limit passes the header check (the junk after it is
	// a format error).
	for _, b := range [][]byte{bombPNG(8000, 5000), bombJPEG(10000, 4000)} {
		if _, err := qrscan.Decode(b); !errors.Is(err, qrscan.ErrFormat) {
			t.Errorf("40 megapixels: %v; want ErrFormat", err)
		}
	}
}

// TestDecodeLargePhoto: a phone camera's 12 megapixels are shrunk for the
// detector, and the pass in a corner is still found.
func TestDecodeLargePhoto(t *testing.T) {
	t.Parallel()
	want := passURL()
	big := &image.Gray{Pix: bytes.Repeat([]byte{150}, 4000*3000), Stride: 4000, Rect: image.Rect(0, 0, 4000, 3000)}
	qr := scale(decodeImage(t, passPNG(t, want)), 2)
	draw.Draw(big, qr.Bounds().Add(image.Pt(3100, 2150)), qr, image.Point{}, draw.Src)
	for name, data := range map[string][]byte{"png": encodePNG(t, big), "jpeg": encodeJPEG(t, big, 80)} {
		if got, err := qrscan.Decode(data); err != nil || got != want {
			t.Errorf("%s 4000x3000 = %q, %v; want %q", name, got, err, want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	code := passPNG(f, passURL())
	img := decodeImage(f, code)
	f.Add(code)
	f.Add(encodeJPEG(f, img, 70))
	f.Add(encodePNG(f, scale(img, 0.3)))
	f.Add(bombPNG(100000, 100000))
	f.Add(bombJPEG(300, 300))
	f.Add([]byte("not an image"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := qrscan.Decode(data)
		switch {
		case err == nil && got == "":
			t.Fatal("no error and no text")
		case err != nil && got != "":
			t.Fatalf("text %q with error %v", got, err)
		case err != nil && !errors.Is(err, qrscan.ErrNoCode) && !errors.Is(err, qrscan.ErrFormat) && !errors.Is(err, qrscan.ErrTooLarge):
			t.Fatalf("error outside the documented ones: %v", err)
		}
	})
}
