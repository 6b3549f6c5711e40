package telegram

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"shopbot/templates"
)

// TestAdapterTextsInTemplates: every text the adapter shows — command
// descriptions and its own controls — is a key of the template set (so
// the golden tests render it in every locale).
func TestAdapterTextsInTemplates(t *testing.T) {
	t.Parallel()
	texts := templates.MustLoad()
	keys := []string{textSharePhone, textPhonePrompt, textPhoneReceived, textPrivateChat}
	for _, name := range append(append([]string(nil), buyerCommands...), sellerCommands...) {
		keys = append(keys, "tg_cmd_"+name)
	}
	for _, key := range keys {
		if !texts.Has(key) {
			t.Errorf("text %s is missing from templates/locales", key)
			continue
		}
		if topic := texts.Topic(key); topic != "telegram" {
			t.Errorf("text %s is in topic %s, want telegram", key, topic)
		}
		for _, lang := range templates.Locales {
			if got := texts.Text(lang, key, nil); strings.TrimSpace(got) == "" || got == key {
				t.Errorf("%s/%s renders %q", lang, key, got)
			}
		}
	}
}

// TestNoWordsInGo: the adapter's Go code holds no Chinese or Russian
// words; user-visible texts live in templates/locales.
func TestNoWordsInGo(t *testing.T) {
	t.Parallel()
	words := regexp.MustCompile(`[\p{Han}\p{Cyrillic}]+`)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("telegramtest/*.go")
	for _, f := range append(files, more...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if w := words.FindString(line); w != "" {
				t.Errorf("%s:%d: %q belongs in templates/locales", f, i+1, w)
			}
		}
	}
}
