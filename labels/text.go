package labels

import (
	"errors"
	"image"
	"image/color"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"shopbot/poster/fonts"
)

// Text is drawn as on the drop poster: per rune, the Go font when it has
// the glyph (Latin, Cyrillic, digits, symbols), else Droid Sans Fallback
// (Han).

type fontSet struct {
	regular, bold, droid *opentype.Font
	err                  error
}

var (
	fontsOnce sync.Once
	loaded    fontSet
)

func loadFonts() (*fontSet, error) {
	fontsOnce.Do(func() {
		var e1, e2, e3 error
		loaded.regular, e1 = opentype.Parse(goregular.TTF)
		loaded.bold, e2 = opentype.Parse(gobold.TTF)
		loaded.droid, e3 = opentype.Parse(fonts.DroidSansFallback)
		loaded.err = errors.Join(e1, e2, e3)
	})
	return &loaded, loaded.err
}

// style is one size and weight of text, in one colour.
type style struct {
	latin, droid       font.Face
	latinFont, fallbck *opentype.Font
	buf                sfnt.Buffer
	col                color.Color
	size               float64
}

func (fs *fontSet) style(size float64, bold bool, col color.Color) (*style, error) {
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
	return &style{latin: g, droid: d, latinFont: latin, fallbck: fs.droid, col: col, size: size}, nil
}

func (s *style) face(r rune) font.Face {
	if i, err := s.latinFont.GlyphIndex(&s.buf, r); err == nil && i != 0 {
		return s.latin
	}
	if i, err := s.fallbck.GlyphIndex(&s.buf, r); err == nil && i != 0 {
		return s.droid
	}
	return s.latin
}

func (s *style) advance(r rune) fixed.Int26_6 {
	a, _ := s.face(r).GlyphAdvance(r)
	return a
}

func (s *style) measure(text string) fixed.Int26_6 {
	var w fixed.Int26_6
	for _, r := range text {
		w += s.advance(r)
	}
	return w
}

// lineHeight is the distance between baselines, in pixels.
func (s *style) lineHeight() int { return int(s.size*1.3 + 0.5) }

// draw writes text with its baseline at (x, y).
func (s *style) draw(dst draw.Image, x, y int, text string) {
	dot := fixed.P(x, y)
	src := image.NewUniform(s.col)
	for _, r := range text {
		dr, mask, mp, adv, ok := s.face(r).Glyph(dot, r)
		if ok {
			draw.DrawMask(dst, dr, src, image.Point{}, mask, mp, draw.Over)
		}
		dot.X += adv
	}
}

// wrap breaks text into at most maxLines lines no wider than width:
// between words, and anywhere in Han text; a line that does not fit ends
// with "…".
func (s *style) wrap(text string, width fixed.Int26_6, maxLines int) []string {
	var lines []string
	var cur []rune
	var curW fixed.Int26_6
	runes := []rune(text)
	for i := 0; i < len(runes); {
		// The next unit: a Latin word with its trailing spaces, or one rune.
		j := i + 1
		if !isCJK(runes[i]) && !unicode.IsSpace(runes[i]) {
			for j < len(runes) && !isCJK(runes[j]) && !unicode.IsSpace(runes[j]) {
				j++
			}
		}
		unit := runes[i:j]
		w := s.measure(string(unit))
		switch {
		case curW+w <= width:
			cur, curW = append(cur, unit...), curW+w
			i = j
		case len(cur) == 0: // a word wider than the line: cut it per rune
			k := i
			for k < j && curW+s.advance(runes[k]) <= width {
				curW += s.advance(runes[k])
				k++
			}
			cur = append(cur, runes[i:max(k, i+1)]...)
			i = max(k, i+1)
			lines, cur, curW = append(lines, string(cur)), nil, 0
		default:
			lines, cur, curW = append(lines, strings.TrimSpace(string(cur))), nil, 0
			for i < len(runes) && unicode.IsSpace(runes[i]) {
				i++
			}
		}
		if len(lines) == maxLines {
			if i < len(runes) {
				lines[maxLines-1] = s.ellipsis(lines[maxLines-1], width)
			}
			return lines
		}
	}
	if len(cur) > 0 {
		lines = append(lines, strings.TrimSpace(string(cur)))
	}
	return lines
}

// ellipsis shortens line until it fits width with "…" after it.
func (s *style) ellipsis(line string, width fixed.Int26_6) string {
	r := []rune(strings.TrimSpace(line))
	for len(r) > 0 && s.measure(string(r))+s.measure("…") > width {
		r = r[:len(r)-1]
	}
	return strings.TrimSpace(string(r)) + "…"
}

func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
		(r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF)
}

// clean makes a field safe to lay out: valid UTF-8 on one line, bounded.
func clean(s string, most int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == most {
			break
		}
		if unicode.IsControl(r) {
			r = ' '
		}
		b.WriteRune(r)
		n++
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
