package labels

import (
	"image/color"
	"strings"
	"unicode"

	"golang.org/x/image/math/fixed"

	"shopbot/poster/fonts"
)

// Text is drawn as on the drop poster, by fonts.Style: per rune, the Go
// font when it has the glyph (Latin, Cyrillic, digits, symbols), else
// Droid Sans Fallback (Han).

// lineSpacing is the labels' distance between baselines, in sizes.
const lineSpacing = 1.3

// style is one size and weight of text, in one colour, with the labels'
// line spacing and wrapping.
type style struct{ *fonts.Style }

func newStyle(size float64, bold bool, col color.Color) (style, error) {
	st, err := fonts.NewStyle(size, bold, col)
	return style{st}, err
}

// advance is how far r moves the pen (a rune neither font has counts its
// .notdef box, as it is drawn).
func (s style) advance(r rune) fixed.Int26_6 {
	a, _ := s.Advance(r)
	return a
}

// lineHeight is the distance between baselines, in pixels.
func (s style) lineHeight() int { return s.LineHeight(lineSpacing) }

// wrap breaks text into at most maxLines lines no wider than width:
// between words, and anywhere in Han text; a line that does not fit ends
// with "…".
func (s style) wrap(text string, width fixed.Int26_6, maxLines int) []string {
	var lines []string
	var cur []rune
	var curW fixed.Int26_6
	runes := []rune(text)
	for i := 0; i < len(runes); {
		// The next unit: a Latin word with its trailing spaces, or one rune.
		j := i + 1
		if !fonts.IsCJK(runes[i]) && !unicode.IsSpace(runes[i]) {
			for j < len(runes) && !fonts.IsCJK(runes[j]) && !unicode.IsSpace(runes[j]) {
				j++
			}
		}
		unit := runes[i:j]
		w := s.Measure(string(unit))
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
func (s style) ellipsis(line string, width fixed.Int26_6) string {
	r := []rune(strings.TrimSpace(line))
	for len(r) > 0 && s.Measure(string(r))+s.Measure("…") > width {
		r = r[:len(r)-1]
	}
	return strings.TrimSpace(string(r)) + "…"
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
