// Package poster draws the shareable PNG poster of a drop: a portrait image
// (750×1334 by default, the shape WeChat Moments shows well) with the product
// picture, title, price, subtitle, a QR code and a footer.
//
// Text is drawn by fonts.Style with two embedded fonts chosen per rune: the Go fonts
// (golang.org/x/image/font/gofont) for Latin, Cyrillic, digits and symbols,
// and Droid Sans Fallback (Apache-2.0, fonts/NOTICE) for what the Go fonts
// lack, Han above all. Droid has no Latin digits or Cyrillic, the Go fonts no
// Han, so neither alone renders a Chinese title with a price correctly.
package poster

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // product pictures may be JPEG
	"image/png"
	"strings"
	"unicode"

	"golang.org/x/image/draw"
	"golang.org/x/image/math/fixed"

	"shopbot/poster/fonts"
)

// Sizes.
const (
	DefaultWidth = 750 // Moments-friendly portrait 750×1334
	MinWidth     = 320
	MaxWidth     = 1500
	// MaxImagePixels bounds a decoded product picture or QR code.
	MaxImagePixels = 25_000_000
	maxTextRunes   = 400 // longer texts are cut before layout
)

// Poster is what a poster shows. Every field but Title is optional.
type Poster struct {
	Title    string
	Subtitle string // e.g. the start time, "限量 100 件"
	Price    string // already formatted, e.g. "¥129.00"
	Footer   string // e.g. "长按识别二维码 · Scan to buy"
	Image    []byte // PNG or JPEG product picture
	QR       []byte // PNG QR code
	Width    int    // 0 means DefaultWidth; the height is Width×1334/750
}

// ErrInvalid is wrapped by the errors of Render for unusable input.
var ErrInvalid = errors.New("poster: invalid input")

// lineSpacing is the poster's distance between baselines, in sizes.
const lineSpacing = 1.4

// style is one text style of the poster (fonts.Style) with the poster's
// line spacing and measure.
type style struct{ *fonts.Style }

func newStyle(size float64, bold bool, col color.Color) (style, error) {
	st, err := fonts.NewStyle(size, bold, col)
	return style{st}, err
}

// advance is r's width for the poster's layout: a rune neither font has a
// glyph for counts 0 (Draw still moves the pen by its .notdef box).
func (s style) advance(r rune) fixed.Int26_6 {
	a, ok := s.Advance(r)
	if !ok {
		return 0
	}
	return a
}

func (s style) measure(text string) fixed.Int26_6 {
	var w fixed.Int26_6
	for _, r := range text {
		w += s.advance(r)
	}
	return w
}

// lineHeight is the distance between baselines.
func (s style) lineHeight() int { return s.LineHeight(lineSpacing) }

// noLineStart is punctuation that stays with the rune before it.
const noLineStart = "，。、；：！？）》」』】〕〉”’,.;:!?)]}%·…"

// tokens splits text into units a line may break between: one per Han rune,
// one per Latin word; spaces are their own tokens and vanish at line edges.
func tokens(text string) []string {
	var out []string
	var word strings.Builder
	flush := func() {
		if word.Len() > 0 {
			out = append(out, word.String())
			word.Reset()
		}
	}
	for _, r := range text {
		switch {
		case unicode.IsSpace(r):
			flush()
			out = append(out, " ")
		case strings.ContainsRune(noLineStart, r) && word.Len() == 0 && len(out) > 0 && out[len(out)-1] != " ":
			out[len(out)-1] += string(r)
		case fonts.IsCJK(r):
			flush()
			out = append(out, string(r))
		default:
			word.WriteRune(r)
		}
	}
	flush()
	return out
}

// wrap breaks text into at most maxLines lines no wider than width; the last
// line ends with "…" when text did not fit.
func (s style) wrap(text string, width fixed.Int26_6, maxLines int) []string {
	var lines []string
	var cur strings.Builder
	var curW fixed.Int26_6
	newLine := func() {
		lines = append(lines, strings.TrimRight(cur.String(), " "))
		cur.Reset()
		curW = 0
	}
	truncated := false
	for _, tok := range tokens(text) {
		if len(lines) >= maxLines {
			truncated = true
			break
		}
		if tok == " " && cur.Len() == 0 {
			continue
		}
		w := s.measure(tok)
		if curW+w <= width {
			cur.WriteString(tok)
			curW += w
			continue
		}
		if tok == " " {
			newLine()
			continue
		}
		if cur.Len() > 0 && w <= width {
			newLine()
			if len(lines) >= maxLines {
				truncated = true
				break
			}
			cur.WriteString(tok)
			curW = w
			continue
		}
		// A word wider than a line: break it per rune.
		for _, r := range tok {
			a := s.advance(r)
			if curW+a > width && cur.Len() > 0 {
				newLine()
				if len(lines) >= maxLines {
					truncated = true
					break
				}
			}
			cur.WriteRune(r)
			curW += a
		}
		if truncated {
			break
		}
	}
	if !truncated && cur.Len() > 0 {
		if len(lines) < maxLines {
			newLine()
		} else {
			truncated = true
		}
	}
	if truncated && len(lines) > 0 {
		last := []rune(lines[len(lines)-1])
		ell := s.measure("…")
		for len(last) > 0 && s.measure(string(last))+ell > width {
			last = last[:len(last)-1]
		}
		lines[len(lines)-1] = strings.TrimRight(string(last), " ") + "…"
	}
	return lines
}

// clean makes text safe to lay out: valid UTF-8, no control characters,
// bounded length.
func clean(text string) string {
	text = strings.ToValidUTF8(text, "\uFFFD")
	var b strings.Builder
	n := 0
	for _, r := range text {
		if n >= maxTextRunes {
			break
		}
		if unicode.IsControl(r) {
			r = ' '
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

func decodeImage(b []byte) (image.Image, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxImagePixels {
		return nil, fmt.Errorf("image %dx%d too large", cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	return img, err
}

// fit returns the largest rectangle with src's aspect ratio centred in box.
func fit(src, box image.Rectangle) image.Rectangle {
	sw, sh := src.Dx(), src.Dy()
	bw, bh := box.Dx(), box.Dy()
	w, h := bw, sh*bw/sw
	if h > bh {
		w, h = sw*bh/sh, bh
	}
	x := box.Min.X + (bw-w)/2
	y := box.Min.Y + (bh-h)/2
	return image.Rect(x, y, x+w, y+h)
}

// Colours of the poster.
var (
	colBG      = color.RGBA{0xff, 0xff, 0xff, 0xff}
	colPicBG   = color.RGBA{0xf4, 0xf4, 0xf4, 0xff}
	colTitle   = color.RGBA{0x1f, 0x1f, 0x1f, 0xff}
	colPrice   = color.RGBA{0xe0, 0x2e, 0x24, 0xff}
	colSub     = color.RGBA{0x66, 0x66, 0x66, 0xff}
	colFooter  = color.RGBA{0x88, 0x88, 0x88, 0xff}
	colDivider = color.RGBA{0xe6, 0xe6, 0xe6, 0xff}
)

// Render draws p as a PNG. Errors wrap ErrInvalid for an unusable width,
// title or picture.
func Render(p Poster) ([]byte, error) {
	img, err := draw1(p)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&out, img); err != nil {
		return nil, fmt.Errorf("poster: encode: %w", err)
	}
	return out.Bytes(), nil
}

// draw1 lays the poster out on an RGBA image.
func draw1(p Poster) (*image.RGBA, error) {
	W := p.Width
	if W == 0 {
		W = DefaultWidth
	}
	if W < MinWidth || W > MaxWidth {
		return nil, fmt.Errorf("poster: width %d not in %d..%d: %w", W, MinWidth, MaxWidth, ErrInvalid)
	}
	title := clean(p.Title)
	if title == "" {
		return nil, fmt.Errorf("poster: no title: %w", ErrInvalid)
	}
	if err := fonts.Parse(); err != nil {
		return nil, fmt.Errorf("poster: fonts: %w", err)
	}
	H := W * 1334 / 750
	k := func(v int) int { return v * W / 750 } // scale from the 750-wide design
	ks := func(v float64) float64 { return v * float64(W) / 750 }

	dst := image.NewRGBA(image.Rect(0, 0, W, H))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(colBG), image.Point{}, draw.Src)

	// Product picture: the top 640 design pixels, fitted, on a light panel.
	pic := image.Rect(0, 0, W, k(640))
	draw.Draw(dst, pic, image.NewUniform(colPicBG), image.Point{}, draw.Src)
	if len(p.Image) > 0 {
		src, err := decodeImage(p.Image)
		if err != nil {
			return nil, fmt.Errorf("poster: picture: %v: %w", err, ErrInvalid)
		}
		draw.ApproxBiLinear.Scale(dst, fit(src.Bounds(), pic), src, src.Bounds(), draw.Src, nil)
	}

	titleSt, err := newStyle(ks(40), true, colTitle)
	if err != nil {
		return nil, err
	}
	priceSt, err := newStyle(ks(64), true, colPrice)
	if err != nil {
		return nil, err
	}
	subSt, err := newStyle(ks(28), false, colSub)
	if err != nil {
		return nil, err
	}
	footSt, err := newStyle(ks(26), false, colFooter)
	if err != nil {
		return nil, err
	}

	margin := k(48)
	textW := fixed.I(W - 2*margin)
	y := k(640) + k(40)
	for _, line := range titleSt.wrap(title, textW, 3) {
		y += titleSt.lineHeight()
		titleSt.Draw(dst, margin, y, line)
	}
	if price := clean(p.Price); price != "" {
		y += k(16)
		for _, line := range priceSt.wrap(price, textW, 1) {
			y += priceSt.lineHeight()
			priceSt.Draw(dst, margin, y, line)
		}
	}
	if sub := clean(p.Subtitle); sub != "" {
		y += k(4)
		for _, line := range subSt.wrap(sub, textW, 2) {
			y += subSt.lineHeight()
			subSt.Draw(dst, margin, y, line)
		}
	}

	// Bottom band: divider, QR on the left, footer beside it.
	band := H - k(290)
	draw.Draw(dst, image.Rect(margin, band, W-margin, band+max(1, k(2))), image.NewUniform(colDivider), image.Point{}, draw.Src)
	qrSize := k(210)
	qrTop := band + (H-band-qrSize)/2
	footX, footW := margin, W-2*margin
	if len(p.QR) > 0 {
		qr, err := decodeImage(p.QR)
		if err != nil {
			return nil, fmt.Errorf("poster: QR: %v: %w", err, ErrInvalid)
		}
		box := image.Rect(margin, qrTop, margin+qrSize, qrTop+qrSize)
		draw.NearestNeighbor.Scale(dst, fit(qr.Bounds(), box), qr, qr.Bounds(), draw.Src, nil)
		footX = margin + qrSize + k(32)
		footW = W - margin - footX
	}
	if foot := clean(p.Footer); foot != "" && footW > 0 {
		lines := footSt.wrap(foot, fixed.I(footW), 3)
		lh := footSt.lineHeight()
		fy := qrTop + qrSize/2 - len(lines)*lh/2 + int(footSt.Size())
		for _, line := range lines {
			footSt.Draw(dst, footX, fy, line)
			fy += lh
		}
	}
	return dst, nil
}
