package fonts

import (
	"errors"
	"image"
	"image/color"
	"sync"
	"unicode"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// Text is drawn with two fonts chosen per rune: the Go font
// (golang.org/x/image/font/gofont) when it has the glyph (Latin, Cyrillic,
// digits, symbols), else Droid Sans Fallback when it has it (Han above
// all), else the Go font's .notdef box. Droid has no Latin digits or
// Cyrillic, the Go fonts no Han, so neither alone renders a Chinese name
// with a price correctly.

type fontSet struct {
	regular, bold, droid *opentype.Font
	err                  error
}

var (
	parseOnce sync.Once
	parsed    fontSet
)

// load parses the fonts once per process.
func load() (*fontSet, error) {
	parseOnce.Do(func() {
		var e1, e2, e3 error
		parsed.regular, e1 = opentype.Parse(goregular.TTF)
		parsed.bold, e2 = opentype.Parse(gobold.TTF)
		parsed.droid, e3 = opentype.Parse(DroidSansFallback)
		parsed.err = errors.Join(e1, e2, e3)
	})
	return &parsed, parsed.err
}

// Style is text of one size and weight in one colour: a Go face and a Droid
// face of the same size. A Style is not safe for concurrent use; make one
// per drawing.
type Style struct {
	latin, droid         font.Face
	latinFont, droidFont *opentype.Font
	buf                  sfnt.Buffer
	col                  color.Color
	size                 float64
}

// NewStyle makes a Style of size pixels (at 72 dpi), bold or regular, in
// col. Its error is the fonts' failing to parse or open.
func NewStyle(size float64, bold bool, col color.Color) (*Style, error) {
	fs, err := load()
	if err != nil {
		return nil, err
	}
	latin := fs.regular
	if bold {
		latin = fs.bold
	}
	opts := &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull}
	g, err := opentype.NewFace(latin, opts)
	if err != nil {
		return nil, err
	}
	d, err := opentype.NewFace(fs.droid, opts)
	if err != nil {
		return nil, err
	}
	return &Style{latin: g, droid: d, latinFont: latin, droidFont: fs.droid, col: col, size: size}, nil
}

// Size is the style's size in pixels.
func (s *Style) Size() float64 { return s.size }

// Face is the face that draws r.
func (s *Style) Face(r rune) font.Face {
	if i, err := s.latinFont.GlyphIndex(&s.buf, r); err == nil && i != 0 {
		return s.latin
	}
	if i, err := s.droidFont.GlyphIndex(&s.buf, r); err == nil && i != 0 {
		return s.droid
	}
	return s.latin
}

// Advance is how far Draw moves the pen for r; ok is false when neither
// font has a glyph for r (Draw then draws nothing and moves by the
// returned width, the Go font's .notdef advance).
func (s *Style) Advance(r rune) (adv fixed.Int26_6, ok bool) {
	return s.Face(r).GlyphAdvance(r)
}

// Measure is the width Draw gives text: the sum of its runes' Advance.
func (s *Style) Measure(text string) fixed.Int26_6 {
	var w fixed.Int26_6
	for _, r := range text {
		a, _ := s.Advance(r)
		w += a
	}
	return w
}

// LineHeight is the distance between baselines, in pixels, for a line
// spacing of spacing times the size (rounded).
func (s *Style) LineHeight(spacing float64) int { return int(s.size*spacing + 0.5) }

// Draw writes text with its baseline at (x, y).
func (s *Style) Draw(dst draw.Image, x, y int, text string) {
	dot := fixed.P(x, y)
	src := image.NewUniform(s.col)
	for _, r := range text {
		dr, mask, mp, adv, ok := s.Face(r).Glyph(dot, r)
		if ok {
			draw.DrawMask(dst, dr, src, image.Point{}, mask, mp, draw.Over)
		}
		dot.X += adv
	}
}

// IsCJK reports whether r is Chinese, Japanese or Korean script or CJK
// punctuation or a full-width form: text a line may break before and after.
func IsCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
		(r >= 0x3000 && r <= 0x303F) || // CJK symbols and punctuation
		(r >= 0xFF00 && r <= 0xFFEF) // full-width forms
}

// Parse parses the fonts, once per process, and reports whether they are
// usable; NewStyle does it too, so calling Parse first only moves the error.
func Parse() error {
	_, err := load()
	return err
}
