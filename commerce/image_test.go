package commerce

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// exifJPEG is a w×h JPEG, left half red and right half blue, with an EXIF
// segment carrying orientation o and a GPS-like payload.
func exifJPEG(t testing.TB, w, h, o int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{220, 20, 20, 255}
			if x >= w/2 {
				c = color.RGBA{20, 20, 220, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	var tiff bytes.Buffer
	tiff.WriteString("II")
	le := binary.LittleEndian
	_ = binary.Write(&tiff, le, uint16(42))
	_ = binary.Write(&tiff, le, uint32(8))
	_ = binary.Write(&tiff, le, uint16(2))
	_ = binary.Write(&tiff, le, []uint16{0x0112, 3})
	_ = binary.Write(&tiff, le, uint32(1))
	_ = binary.Write(&tiff, le, []uint16{uint16(o), 0})
	_ = binary.Write(&tiff, le, []uint16{0x8825, 4})
	_ = binary.Write(&tiff, le, []uint32{1, 38, 0})
	tiff.WriteString("GPS 31.2304N 121.4737E")
	seg := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}
	return append(append(out, seg...), buf.Bytes()[2:]...)
}

func TestNormalizeImage(t *testing.T) {
	t.Parallel()
	src := exifJPEG(t, 3200, 1600, 6) // taken turned left: upright it is 1600 wide, 3200 high
	if o := JPEGOrientation(src); o != 6 {
		t.Fatalf("orientation %d; want 6", o)
	}
	img, err := NormalizeImage(src)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(img.Data, []byte("Exif")) || bytes.Contains(img.Data, []byte("GPS")) || JPEGOrientation(img.Data) != 1 {
		t.Fatal("metadata kept")
	}
	if img.ContentType != "image/jpeg" || !ValidImageKey(img.Key) || img.Key[len(img.Key)-4:] != ".jpg" {
		t.Fatalf("stored as %q under %q", img.ContentType, img.Key)
	}
	dec, err := jpeg.Decode(bytes.NewReader(img.Data))
	if err != nil {
		t.Fatal(err)
	}
	if b := dec.Bounds(); b.Dx() != MaxImageSide/2 || b.Dy() != MaxImageSide || img.Width != b.Dx() || img.Height != b.Dy() {
		t.Fatalf("stored %v (%dx%d); want %dx%d", b, img.Width, img.Height, MaxImageSide/2, MaxImageSide)
	}
	// Turned right: the red half (left as shot) is now on top.
	if r, _, b, _ := dec.At(MaxImageSide/4, MaxImageSide/8).RGBA(); r < b {
		t.Fatal("the picture was not turned upright")
	}
	again, err := NormalizeImage(src)
	if err != nil || again.Key != img.Key {
		t.Fatalf("the same upload got key %q, then %q (%v)", img.Key, again.Key, err)
	}

	// PNG stays PNG, transparent pixels included, text chunks dropped.
	rgba := image.NewNRGBA(image.Rect(0, 0, 40, 30))
	rgba.Set(5, 5, color.NRGBA{255, 0, 0, 128})
	var buf bytes.Buffer
	if err := png.Encode(&buf, rgba); err != nil {
		t.Fatal(err)
	}
	withText := insertPNGChunk(buf.Bytes(), "tEXt", []byte("Comment\x00home address"))
	p, err := NormalizeImage(withText)
	if err != nil || p.ContentType != "image/png" || bytes.Contains(p.Data, []byte("home address")) || p.Width != 40 {
		t.Fatalf("png: %+v, %v", p.ContentType, err)
	}

	for name, tc := range map[string]struct {
		data []byte
		err  error
	}{
		"text":      {[]byte("hello"), ErrBadImage},
		"empty":     {nil, ErrBadImage},
		"gif":       {[]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), ErrBadImage},
		"truncated": {src[:len(src)/2], ErrBadImage},
		"huge":      {pngSized(t, 10000, 10000), ErrImageTooLarge},
		"bytes":     {make([]byte, MaxImageBytes+1), ErrImageTooLarge},
	} {
		if _, err := NormalizeImage(tc.data); !errors.Is(err, tc.err) {
			t.Errorf("%s: err %v; want %v", name, err, tc.err)
		}
	}
}

func TestOrientations(t *testing.T) {
	t.Parallel()
	// A 2×1 image [A B]; where A lands for each orientation.
	src := image.NewRGBA(image.Rect(0, 0, 2, 1))
	src.Pix[0] = 1 // A's red
	for o, want := range map[int]struct{ w, h, ax, ay int }{
		1: {2, 1, 0, 0}, 2: {2, 1, 1, 0}, 3: {2, 1, 1, 0}, 4: {2, 1, 0, 0},
		5: {1, 2, 0, 0}, 6: {1, 2, 0, 0}, 7: {1, 2, 0, 1}, 8: {1, 2, 0, 1},
	} {
		got := orient(src, o)
		if b := got.Bounds(); b.Dx() != want.w || b.Dy() != want.h || got.Pix[got.PixOffset(want.ax, want.ay)] != 1 {
			t.Errorf("orientation %d: %v with A at %v", o, got.Bounds(), got.Pix)
		}
	}
}

func insertPNGChunk(p []byte, typ string, data []byte) []byte {
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	chunk = append(chunk, typ...)
	chunk = append(chunk, data...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	at := 8 + 25 // after the signature and IHDR
	return append(append(append([]byte{}, p[:at]...), chunk...), p[at:]...)
}

// pngSized is a tiny PNG whose header claims w×h.
func pngSized(t *testing.T, w, h int) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	binary.BigEndian.PutUint32(b[16:], uint32(w))
	binary.BigEndian.PutUint32(b[20:], uint32(h))
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func FuzzJPEGOrientation(f *testing.F) {
	f.Add(exifJPEG(f, 8, 8, 6)[:200])
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x02})
	f.Add([]byte("\xFF\xD8\xFF\xE1\x00\x10Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := JPEGOrientation(data); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}

func FuzzNormalizeImage(f *testing.F) {
	f.Add(exifJPEG(f, 16, 8, 3))
	var buf bytes.Buffer
	_ = png.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 4)))
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := NormalizeImage(data)
		if err != nil {
			if !errors.Is(err, ErrBadImage) && !errors.Is(err, ErrImageTooLarge) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !ValidImageKey(img.Key) || img.Width > MaxImageSide || img.Height > MaxImageSide || img.Width < 1 || img.Height < 1 {
			t.Fatalf("normalized %s %dx%d", img.Key, img.Width, img.Height)
		}
	})
}

// BenchmarkNormalizeImage: a 12-megapixel phone photo (4000×3000 JPEG).
func BenchmarkNormalizeImage(b *testing.B) {
	src := exifJPEG(b, 4000, 3000, 6)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := NormalizeImage(src); err != nil {
			b.Fatal(err)
		}
	}
}
