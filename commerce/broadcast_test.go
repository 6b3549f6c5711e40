package commerce

import (
	"errors"
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
		{"png", BroadcastContent{Text: "x", Image: png}, true},
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
