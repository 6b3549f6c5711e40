package commerce

import (
	"bytes"
	"errors"
	"image/jpeg"
	"strings"
	"testing"
)

func TestBroadcastContentValidate(t *testing.T) {
	t.Parallel()
	png := []byte("\x89PNG\r\n\x1a\nxx")
	for _, tc := range []struct {
		name string
		c    BroadcastContent
		ok   bool
	}{
		{"text", BroadcastContent{Text: "Sale"}, true},
		{"blank", BroadcastContent{Text: " \n "}, false},
		{"longest", BroadcastContent{Text: strings.Repeat("я", MaxBroadcastText)}, true},
		{"too long", BroadcastContent{Text: strings.Repeat("a", MaxBroadcastText+1)}, false},
		{"emoji count twice", BroadcastContent{Text: strings.Repeat("🎉", MaxBroadcastText/2+1)}, false},
		{"bad utf-8", BroadcastContent{Text: "a\xff"}, false},
		{"png", BroadcastContent{Text: "x", Image: png, ImageName: "0123456789abcdef0123456789abcdef.png"}, true},
		{"png not prepared", BroadcastContent{Text: "x", Image: png}, false},
		{"png badly named", BroadcastContent{Text: "x", Image: png, ImageName: "12.png"}, false},
		{"not an image", BroadcastContent{Text: "x", Image: []byte("GIF89a....")}, false},
		{"button", BroadcastContent{Text: "x", ButtonText: "Shop", ButtonURL: "https://t.me/bot?start=c_1"}, true},
		{"label without link", BroadcastContent{Text: "x", ButtonText: "Shop"}, false},
		{"javascript link", BroadcastContent{Text: "x", ButtonText: "Shop", ButtonURL: "javascript:alert(1)"}, false},
	} {
		err := tc.c.Validate()
		if (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Validate = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

// WithImage re-encodes a broadcast's picture like a product photo (no
// EXIF, no GPS, upright) and names it at random: two broadcasts of one
// picture get unrelated names, none derived from a counter.
func TestBroadcastWithImage(t *testing.T) {
	t.Parallel()
	src := exifJPEG(t, 64, 32, 6)
	names := map[string]bool{}
	for range 20 {
		c, err := BroadcastContent{Text: "Sale"}.WithImage(src)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(c.Image, []byte("Exif")) || bytes.Contains(c.Image, []byte("GPS")) || JPEGOrientation(c.Image) != 1 {
			t.Fatal("the broadcast picture keeps its EXIF")
		}
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(c.Image)); err != nil || cfg.Width != 32 || cfg.Height != 64 {
			t.Fatalf("picture %+v, %v; want it upright, 32×64", cfg, err)
		}
		if !ValidBroadcastImageName(c.ImageName) || !strings.HasSuffix(c.ImageName, ".jpg") || names[c.ImageName] {
			t.Fatalf("name %q (seen before: %v)", c.ImageName, names[c.ImageName])
		}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		names[c.ImageName] = true
	}
	if _, err := (BroadcastContent{Text: "Sale"}).WithImage([]byte("GIF89a....")); !errors.Is(err, ErrBadImage) {
		t.Fatalf("a GIF: %v; want ErrBadImage", err)
	}
	for _, bad := range []string{"", "1", "1.jpg", strings.Repeat("A", 32) + ".jpg", strings.Repeat("0", 32) + ".gif", "../" + strings.Repeat("0", 29) + ".jpg"} {
		if ValidBroadcastImageName(bad) {
			t.Errorf("%q passes for a picture name", bad)
		}
	}
}

func TestOptOutWord(t *testing.T) {
	t.Parallel()
	for _, w := range []string{"stop", "STOP", "/stop", " Stop. ", "退订", "TD", "td", "стоп", "СТОП!", "unsubscribe"} {
		if !OptOutWord(w) {
			t.Errorf("%q is not an opt-out word", w)
		}
	}
	for _, w := range []string{"", "stop it", "stopp", "退", "tdd", "не стоп", "/start"} {
		if OptOutWord(w) {
			t.Errorf("%q opts out", w)
		}
	}
}

func TestNormalizeChannels(t *testing.T) {
	t.Parallel()
	got, err := NormalizeChannels([]string{"Telegram", "web", "tg"})
	if err != nil || len(got) != 2 || got[0] != "tg" || got[1] != "web" {
		t.Fatalf("NormalizeChannels = %v, %v", got, err)
	}
	if got, err := NormalizeChannels([]string{"all"}); err != nil || got != nil {
		t.Fatalf("all = %v, %v", got, err)
	}
	if _, err := NormalizeChannels([]string{"fax"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("fax: %v", err)
	}
}

func FuzzOptOutWord(f *testing.F) {
	for _, s := range []string{"stop", "退订", "стоп", "TD."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if OptOutWord(s) && len(strings.TrimSpace(s)) > 40 {
			t.Fatalf("a long text opted out: %q", s)
		}
	})
}
