// Package fonts holds the font files the project embeds beyond the Go
// fonts: Droid Sans Fallback (Apache-2.0, see NOTICE and
// LICENSE-Apache-2.0 here), which draws Han and the other scripts the Go
// fonts lack, and the code that draws text with them (Style). The poster
// and the label sheets use it.
package fonts

import _ "embed"

// DroidSansFallback is DroidSansFallbackFull.ttf.
//
//go:embed DroidSansFallbackFull.ttf
var DroidSansFallback []byte
