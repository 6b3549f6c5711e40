package labels

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"regexp"
	"strconv"
	"testing"

	"golang.org/x/image/draw"

	"shopbot/qrscan"
)

func sample(n int) []Label {
	names := []string{"保湿面霜 50 ml", "Hyaluronic acid serum 30 ml with a rather long name that must wrap over lines", "Сыворотка для лица 30 мл", "抹茶巧克力 Matcha chocolate"}
	out := make([]Label, n)
	for i := range out {
		out[i] = Label{Name: names[i%len(names)], Price: fmt.Sprintf("¥%d.00", 100+i), SKU: fmt.Sprintf("COS-%03d", i+1),
			URL: fmt.Sprintf("https://t.me/shopbot_test_bot?start=p_%d", i+1)}
	}
	return out
}

// cellOf cuts label k of a page out as a PNG, for the QR reader.
func cellOf(t *testing.T, page image.Image, l Layout, k int) []byte {
	t.Helper()
	cellW, cellH := (pageW-2*marginPx)/l.Cols, (pageH-2*marginPx)/l.Rows
	x, y := marginPx+(k%l.Cols)*cellW, marginPx+(k/l.Cols)*cellH
	r := image.Rect(x, y, x+cellW, y+cellH)
	// A copy with a white quiet zone around it.
	dst := image.NewGray(image.Rect(0, 0, cellW+80, cellH+80))
	draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(dst, r.Sub(r.Min).Add(image.Pt(40, 40)), page, r.Min, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, dst); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPNGQRCodesOpenTheProducts: each label's QR code on the page reads as
// its URL, in every size.
func TestPNGQRCodesOpenTheProducts(t *testing.T) {
	t.Parallel()
	for _, l := range Layouts {
		t.Run(l.Name, func(t *testing.T) {
			t.Parallel()
			list := sample(l.Cols*l.Rows + 1) // a second page with one label
			var buf bytes.Buffer
			if err := Write(&buf, list, Options{Layout: l.Name, Format: FormatPNG}); err != nil {
				t.Fatal(err)
			}
			page, err := png.Decode(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if b := page.Bounds(); b.Dx() != pageW || b.Dy() != pageH {
				t.Fatalf("page %v; want A4 at %d dpi, %dx%d", b, dpi, pageW, pageH)
			}
			for _, k := range []int{0, 1, l.Cols*l.Rows - 1} {
				got, err := qrscan.Decode(cellOf(t, page, l, k))
				if err != nil || got != list[k].URL {
					t.Errorf("label %d: QR %q, %v; want %q", k, got, err, list[k].URL)
				}
			}
			buf.Reset()
			if err := Write(&buf, list, Options{Layout: l.Name, Format: FormatPNG, Page: 2}); err != nil {
				t.Fatal(err)
			}
			page2, _ := png.Decode(&buf)
			if got, err := qrscan.Decode(cellOf(t, page2, l, 0)); err != nil || got != list[len(list)-1].URL {
				t.Errorf("page 2: QR %q, %v", got, err)
			}
		})
	}
}

// TestPagesLookRight is a coarse golden check: how much of the page is
// ink, per layout (a blank page, a missing text or QR, a layout change all
// move it).
func TestPagesLookRight(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		layout   string
		lo, hi   float64 // share of dark pixels
		nLabels  int
		wantPage int
	}{
		{"small", 0.10, 0.30, 24, 1},
		{"medium", 0.10, 0.30, 12, 1},
		{"large", 0.10, 0.30, 8, 1},
		{"medium", 0.005, 0.05, 1, 1},
	} {
		img, err := renderPage(mustLayout(t, tc.layout), sample(tc.nLabels), 0)
		if err != nil {
			t.Fatal(err)
		}
		dark := 0
		for _, p := range img.Pix {
			if p < 0x80 {
				dark++
			}
		}
		share := float64(dark) / float64(len(img.Pix))
		if share < tc.lo || share > tc.hi {
			t.Errorf("%s with %d labels: %.3f of the page is ink; want %.3f..%.3f", tc.layout, tc.nLabels, share, tc.lo, tc.hi)
		}
	}
}

func mustLayout(t *testing.T, name string) Layout {
	t.Helper()
	l, ok := LayoutByName(name)
	if !ok {
		t.Fatalf("no layout %q", name)
	}
	return l
}

// TestChineseIsDrawn: a Han name is drawn with glyphs, not empty boxes: it
// leaves more ink than the same number of .notdef boxes would, and
// differs from a Latin name.
func TestChineseIsDrawn(t *testing.T) {
	t.Parallel()
	st, err := newStyle(40, true, colInk)
	if err != nil {
		t.Fatal(err)
	}
	// Which font draws what is tested in poster/fonts; here only that Han
	// and Latin do not share a face while Latin and Cyrillic do.
	if st.Face('面') == st.Face('A') || st.Face('A') != st.Face('Ж') {
		t.Fatal("fonts per rune: want Droid for Han, Go for Latin and Cyrillic")
	}
	if st.Measure("保湿面霜") == 0 {
		t.Fatal("Han text measures 0")
	}
	lines := st.wrap("一二三四五六七八九十一二三四五六七八九十", st.Measure("一二三四五"), 2)
	if len(lines) != 2 || lines[0] != "一二三四五" || []rune(lines[1])[len([]rune(lines[1]))-1] != '…' {
		t.Fatalf("wrap of Han text: %q", lines)
	}
	if lines := st.wrap("hello big world", st.Measure("hello big"), 3); fmt.Sprint(lines) != "[hello big world]" {
		t.Fatalf("wrap of words: %q", lines)
	}
}

// pdfObjects parses a PDF written by writePDF: the cross-reference table
// must point at every object; it returns their bodies by number.
func pdfObjects(t *testing.T, pdf []byte) map[int][]byte {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.4\n")) || !bytes.HasSuffix(pdf, []byte("%%EOF\n")) {
		t.Fatal("not a PDF file")
	}
	m := regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`).FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no startxref")
	}
	at, _ := strconv.Atoi(string(m[1]))
	xref := regexp.MustCompile(`^xref\n0 (\d+)\n0000000000 65535 f \n`).FindSubmatch(pdf[at:])
	if xref == nil {
		t.Fatalf("no xref table at %d", at)
	}
	n, _ := strconv.Atoi(string(xref[1]))
	rows := pdf[at+len(xref[0]):]
	objs := map[int][]byte{}
	for i := 1; i < n; i++ {
		off, err := strconv.Atoi(string(rows[(i-1)*20 : (i-1)*20+10]))
		if err != nil {
			t.Fatalf("xref row %d: %v", i, err)
		}
		head := fmt.Sprintf("%d 0 obj\n", i)
		if !bytes.HasPrefix(pdf[off:], []byte(head)) {
			t.Fatalf("object %d is not at %d", i, off)
		}
		end := bytes.Index(pdf[off:], []byte("\nendobj\n"))
		objs[i] = pdf[off+len(head) : off+end]
	}
	return objs
}

// TestPDF: the PDF parses, has one A4 page per sheet page, and the QR code
// in its first page's image reads as the first label's URL.
func TestPDF(t *testing.T) {
	t.Parallel()
	list := sample(25) // medium: 12 a page → 3 pages
	var buf bytes.Buffer
	if err := Write(&buf, list, Options{}); err != nil {
		t.Fatal(err)
	}
	objs := pdfObjects(t, buf.Bytes())
	if !bytes.Contains(objs[1], []byte("/Type /Catalog /Pages 2 0 R")) || !bytes.Contains(objs[2], []byte("/Count 3")) {
		t.Fatalf("catalog %q, pages %q", objs[1], objs[2])
	}
	pages := 0
	for _, o := range objs {
		if bytes.Contains(o, []byte("/Type /Page ")) {
			pages++
			if !bytes.Contains(o, []byte("/MediaBox [0 0 595.28 841.89]")) {
				t.Errorf("page not A4: %q", o)
			}
		}
	}
	if pages != 3 {
		t.Fatalf("%d pages; want 3", pages)
	}
	img := objs[5]
	hm := regexp.MustCompile(`/Width (\d+) /Height (\d+) .*/Length (\d+) >>\nstream\n`).FindSubmatchIndex(img)
	if hm == nil {
		t.Fatalf("image object: %q", img[:min(200, len(img))])
	}
	length, _ := strconv.Atoi(string(img[hm[6]:hm[7]]))
	zr, err := zlib.NewReader(bytes.NewReader(img[hm[1] : hm[1]+length]))
	if err != nil {
		t.Fatal(err)
	}
	pix, err := io.ReadAll(zr)
	if err != nil || len(pix) != pageW*pageH {
		t.Fatalf("image: %d bytes, %v; want %d", len(pix), err, pageW*pageH)
	}
	page := &image.Gray{Pix: pix, Stride: pageW, Rect: image.Rect(0, 0, pageW, pageH)}
	if got, err := qrscan.Decode(cellOf(t, page, mustLayout(t, DefaultLayout), 0)); err != nil || got != list[0].URL {
		t.Fatalf("QR in the PDF: %q, %v", got, err)
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	long := sample(1)
	long[0].URL = "https://example.com/" + string(bytes.Repeat([]byte("x"), 990))
	for _, tc := range []struct {
		name string
		list []Label
		o    Options
	}{
		{"none", nil, Options{}},
		{"too many", make([]Label, MaxLabels+1), Options{}},
		{"unknown size", sample(1), Options{Layout: "huge"}},
		{"unknown format", sample(1), Options{Format: "gif"}},
		{"page past the end", sample(3), Options{Format: FormatPNG, Page: 2}},
		{"no URL", []Label{{Name: "x"}}, Options{}},
		{"URL too long for a small label", long, Options{Layout: "small"}},
	} {
		if err := Write(io.Discard, tc.list, tc.o); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v; want ErrInvalid", tc.name, err)
		}
	}
}

// FuzzWrite: whatever the names, prices and SKUs, rendering never panics.
func FuzzWrite(f *testing.F) {
	f.Add("保湿面霜", "¥1.00", "SKU-1")
	f.Add("\x00\xff\u202e", "", "")
	f.Fuzz(func(t *testing.T, name, price, sku string) {
		err := Write(io.Discard, []Label{{Name: name, Price: price, SKU: sku, URL: "https://shop.example/?start=p_1"}},
			Options{Format: FormatPNG, Layout: "small"})
		if err != nil {
			t.Fatal(err)
		}
	})
}
