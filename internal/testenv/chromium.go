package testenv

import (
	"os/exec"
	"testing"
)

// Chromium returns the path of a Chromium (or Chrome) executable for the
// tests that drive a real browser. Without one the test is skipped, or
// fails when SHOPBOT_REQUIRE_SERVICES=1 (.ci/run installs Debian's
// chromium first).
func Chromium(t testing.TB) string {
	t.Helper()
	// The names it goes by on PATH, Debian's first.
	chromiumNames := []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"}
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if Required() {
		t.Fatalf("SHOPBOT_REQUIRE_SERVICES=1 but no Chromium on PATH (looked for %v; apt-get install chromium)", chromiumNames)
	}
	t.Skip("no Chromium on PATH; skipping the browser test")
	return ""
}
