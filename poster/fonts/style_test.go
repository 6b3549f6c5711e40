package fonts

import (
	"image"
	"image/color"
	"testing"
)

func TestFontChoicePerRune(t *testing.T) {
	for _, bold := range []bool{false, true} {
		st, err := NewStyle(40, bold, color.Black)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range "中文限量件二维码" {
			if st.Face(r) != st.droid {
				t.Errorf("bold %v: %q not drawn with Droid", bold, r)
			}
		}
		for _, r := range "AZaz079Яжё$.,-" {
			if st.Face(r) != st.latin {
				t.Errorf("bold %v: %q not drawn with the Go font", bold, r)
			}
		}
		// The premise of the pairing: each font lacks what the other draws.
		if i, _ := st.latinFont.GlyphIndex(&st.buf, '中'); i != 0 {
			t.Error("the Go font has '中': the Droid fallback would be unneeded")
		}
		if i, _ := st.droidFont.GlyphIndex(&st.buf, 'Я'); i != 0 {
			t.Log("Droid has 'Я' (harmless; the Go font is preferred)")
		}
	}
}

func TestAdvanceMeasureDraw(t *testing.T) {
	st, err := NewStyle(40, false, color.Black)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range "A中Я" {
		if a, ok := st.Advance(r); !ok || a <= 0 {
			t.Errorf("%q: advance %v, %v", r, a, ok)
		}
	}
	// U+E0001 (a language tag) is in neither font: not ok, but Draw moves
	// the pen by the .notdef box, and Measure counts it.
	a, ok := st.Advance('\U000E0001')
	if ok {
		t.Error("U+E0001 has a glyph?")
	}
	if got, want := st.Measure("A\U000E0001"), st.Measure("A")+a; got != want {
		t.Errorf("Measure %v, want %v", got, want)
	}
	if got := st.LineHeight(1.4); got != 56 {
		t.Errorf("LineHeight(1.4) of 40 px = %d, want 56", got)
	}
	white, err := NewStyle(40, true, color.White)
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, 200, 60)) // black
	white.Draw(img, 4, 48, "中A")
	ink := 0
	for _, p := range img.Pix {
		if p != 0 {
			ink++
		}
	}
	if ink < 200 {
		t.Errorf("Draw left %d pixels of ink", ink)
	}
}

func TestIsCJK(t *testing.T) {
	for r, want := range map[rune]bool{'中': true, 'あ': true, 'カ': true, '한': true, '，': true, '。': true, 'A': false, 'Я': false, '1': false, ',': false} {
		if IsCJK(r) != want {
			t.Errorf("IsCJK(%q) = %v", r, !want)
		}
	}
}
