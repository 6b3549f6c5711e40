package archtest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// mdLink is a Markdown link's target: [text](target).
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestDocsLinkInsideTheRepository: README.md and ARCHITECTURE.md link only
// files that a clone of the repository has (a link to ../shared/… works on
// the developers' machines and nowhere else).
func TestDocsLinkInsideTheRepository(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{"README.md", "ARCHITECTURE.md"} {
		b, err := os.ReadFile(filepath.Join(root, doc))
		if err != nil {
			t.Fatal(err)
		}
		links := 0
		for _, m := range mdLink.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			links++
			target, _, _ = strings.Cut(target, "#")
			path := filepath.Clean(filepath.Join(root, target))
			if !strings.HasPrefix(path, root+string(filepath.Separator)) {
				t.Errorf("%s links %s, outside the repository", doc, m[1])
				continue
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s links %s, which does not exist", doc, m[1])
			}
		}
		if doc == "README.md" && links == 0 {
			t.Errorf("README.md links no file; the link parser is broken")
		}
	}
}
