package archtest

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// parserAliases are the only Chinese or Russian words Go code under bot/
// may hold: words a parser must match in what people type. Every other
// word a user reads lives in templates/locales/<lang>/.
var parserAliases = map[string]string{
	"退订":     "unsubscribe word (commerce.IsStopWord), named where bot documents it",
	"стоп":   "unsubscribe word (commerce.IsStopWord), named where bot documents it",
	"кнопка": `the button line of a broadcast ("кнопка: Label | https://…")`,
	"按钮":     `the button line of a broadcast ("按钮: Label | https://…")`,
	"元":      "a currency word the price parser strips (129元)",
	"х":      `the Cyrillic "x" of a quantity ("15х3")`,
	"хХ":     `the Cyrillic "x" of a quantity ("15х3")`,
}

// pendingDirs are scanned but only listed, not failed, while their texts
// are being moved; the test fails once a directory here is clean, so the
// entry goes with the last word.
var pendingDirs = map[string]string{}

// scriptWords returns the runs of Han or Cyrillic letters in s.
func scriptWords(s string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		if unicode.Is(unicode.Han, r) || unicode.Is(unicode.Cyrillic, r) {
			cur.WriteRune(r)
			continue
		}
		flush()
	}
	flush()
	return out
}

func TestScriptWords(t *testing.T) {
	for in, want := range map[string]string{
		`// a news (图文) message`:               "图文",
		`{"button:", "кнопка:", "按钮:", "按钮："}`: "кнопка 按钮 按钮",
		`strings.ContainsRune("xX×*хХ", r)`:    "хХ",
		`"¥", "￥", "₽", "$" and plain ASCII`:   "",
		`"回复数字 1–%d 选择", "Ответьте цифрой"`:    "回复数字 选择 Ответьте цифрой",
	} {
		if got := strings.Join(scriptWords(in), " "); got != want {
			t.Errorf("scriptWords(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNoChineseOrRussianInBot: Go files under bot/ (tests aside) hold no
// Chinese or Russian word but the parser aliases above. Texts belong in
// templates/locales/<lang>/, where the golden tests render them.
func TestNoChineseOrRussianInBot(t *testing.T) {
	root := filepath.Join("..", "..")
	found := map[string][]string{} // dir → "file:line: words"
	files := 0
	err := filepath.WalkDir(filepath.Join(root, "bot"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		files++
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dir := rel[:strings.LastIndex(rel, "/")]
		for i, line := range strings.Split(string(src), "\n") {
			var words []string
			for _, w := range scriptWords(line) {
				if _, ok := parserAliases[w]; !ok {
					words = append(words, w)
				}
			}
			if len(words) > 0 {
				found[dir] = append(found[dir], rel+":"+strconv.Itoa(i+1)+": "+strings.Join(words, " "))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 20 {
		t.Fatalf("only %d Go files found under bot/; is the test run from internal/archtest?", files)
	}
	dirs := make([]string, 0, len(found))
	for dir := range found {
		dirs = append(dirs, dir)
	}
	sort.Strings(dirs)
	for _, dir := range dirs {
		list := strings.Join(found[dir], "\n\t")
		if why, ok := pendingDirs[dir]; ok {
			t.Logf("pending %s (%s): Chinese or Russian words in Go:\n\t%s", dir, why, list)
			continue
		}
		t.Errorf("%s: Chinese or Russian words in Go; move the texts to templates/locales/<lang>/ "+
			"(or, for a word a parser must match, add it to parserAliases):\n\t%s", dir, list)
	}
	for dir := range pendingDirs {
		if len(found[dir]) == 0 {
			t.Errorf("%s has no Chinese or Russian words left: delete it from pendingDirs so it stays so", dir)
		}
	}
}
