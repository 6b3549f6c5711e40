package app

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"shopbot/commerce"
)

// gpsJPEG is a 2400×1800 camera JPEG whose EXIF holds a GPS position.
func gpsJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2400, 1800))
	for y := range 1800 {
		for x := 0; x < 2400; x += 8 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 70}); err != nil {
		t.Fatal(err)
	}
	var tiff bytes.Buffer
	tiff.WriteString("MM")
	_ = binary.Write(&tiff, binary.BigEndian, []uint16{42})
	_ = binary.Write(&tiff, binary.BigEndian, []uint32{8})
	_ = binary.Write(&tiff, binary.BigEndian, []uint16{1, 0x8825, 4})
	_ = binary.Write(&tiff, binary.BigEndian, []uint32{1, 26, 0})
	tiff.WriteString("GPSLatitude 31.2304 GPSLongitude 121.4737")
	seg := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}
	return append(append(out, seg...), buf.Bytes()[2:]...)
}

func TestProductCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	vars := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(dir, "shop.db")}
	ctx := context.Background()
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(ctx, args, env(vars), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	if code, _, errOut := run("demo", "seed"); code != 0 {
		t.Fatalf("demo seed: %s", errOut)
	}
	photo := filepath.Join(dir, "serum.jpg")
	if err := os.WriteFile(photo, gpsJPEG(t), 0o644); err != nil {
		t.Fatal(err)
	}
	notImage := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notImage, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, before, _ := run("product", "list", "--all")

	// Bad input: exit 2, a message naming the problem, nothing changed.
	add := []string{"product", "add", "--title", "Serum 30 ml", "--price", "129.00", "--stock", "20", "--origin", "dutypaid", "--category", "cosmetics"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"product"}, "missing subcommand"},
		{[]string{"product", "frob"}, "unknown subcommand"},
		{append(add[:len(add)-2:len(add)-2], "--category", "toys"), "names 0 categories"},
		{[]string{"product", "add", "--title", "Serum", "--price", "129"}, `Required flags "stock, origin, category" not set`},
		{replace(add, "129.00", "abc"), "--price"},
		{replace(add, "129.00", "-1"), "--price"},
		{replace(add, "129.00", "$12"), "sells in CNY"},
		{replace(add, "20", "-3"), "--stock"},
		{replace(add, "20", "1.5"), "--stock"},
		{replace(add, "dutypaid", "smuggled"), "--origin"},
		{replace(add, "Serum 30 ml", strings.Repeat("x", commerce.MaxTitleRunes+1)), "--title"},
		{append(append([]string{}, add...), "--image", notImage), "not a readable JPEG or PNG"},
		{append(append([]string{}, add...), "--image", filepath.Join(dir, "missing.jpg")), "--image"},
		{append(append([]string{}, add...), "--lang", "fr"), "--lang"},
		{append(append([]string{}, add...), "--sku", "COS-001"), "already"},
		{append(append([]string{}, add...), "--all"), "unknown flag -all"},
		{[]string{"product", "edit", "COS-001"}, "at least one"},
		{[]string{"product", "edit", "COS-001", "--price", "0"}, "--price"},
		{[]string{"product", "edit", "COS-001", "--stock", "many"}, "--stock"},
		{[]string{"product", "edit", "COS-001", "--origin", "bonded"}, "unknown flag -origin"},
		{[]string{"product", "hide"}, "missing the product's ID or SKU"},
	} {
		code, out, errOut := run(tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q (stdout %q)", tc.args, code, errOut, tc.want, out)
		}
	}
	if code, _, errOut := run("product", "hide", "NO-SUCH-SKU"); code != 1 || !strings.Contains(errOut, "no product") {
		t.Errorf("hide of an unknown product: exit %d, %q", code, errOut)
	}
	if _, after, _ := run("product", "list", "--all"); after != before {
		t.Fatalf("refused commands changed the catalog:\n%s\nwas\n%s", after, before)
	}

	// Add with a picture, by category name.
	code, out, errOut := run(replace(append(append([]string{}, add...), "--image", photo, "--description", "Made in Korea."), "cosmetics", "Cosmetics & skincare")...)
	if code != 0 {
		t.Fatalf("add: exit %d: %s", code, errOut)
	}
	m := regexp.MustCompile(`added product (\d+) \(SKU (S-[0-9A-F]{10})\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("add printed %q", out)
	}
	id, sku := m[1], m[2]
	code, out, _ = run("product", "edit", sku, "--price", "99.50", "--stock", "7", "--title", "Сыворотка", "--lang", "ru")
	if code != 0 || !strings.Contains(out, "99.50 CNY · 7 in stock") {
		t.Fatalf("edit: exit %d: %q", code, out)
	}
	if code, out, _ = run("product", "hide", id); code != 0 || !strings.Contains(out, "hidden") {
		t.Fatalf("hide: exit %d: %q", code, out)
	}
	_, visible, _ := run("product", "list")
	_, all, _ := run("product", "list", "--all")
	if strings.Contains(visible, sku) || !strings.Contains(all, sku) || !strings.Contains(all, "hidden") {
		t.Fatalf("list after hiding:\n%s\n--all:\n%s", visible, all)
	}
	if code, out, _ = run("product", "show", sku); code != 0 || !strings.Contains(out, "hidden") || !strings.Contains(out, "Сыворотка") {
		t.Fatalf("show: exit %d: %q", code, out)
	}
	if _, all2, _ := run("product", "list", "--all"); all2 != all {
		t.Fatal("product show changed the catalog")
	}
	if code, out, _ = run("product", "unhide", sku); code != 0 || !strings.Contains(out, "visible") {
		t.Fatalf("unhide: exit %d: %q", code, out)
	}

	// The picture is served from the database under /img/, without its
	// metadata, scaled down, cacheable for good.
	cfg, err := ConfigFromEnv(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	p, err := a.Store.ProductBySKU(ctx, sku)
	if err != nil {
		t.Fatal(err)
	}
	if p.Title["ru"] != "Сыворотка" || p.Title["en"] != "Serum 30 ml" || p.Description["en"] != "Made in Korea." || !p.Active || p.Stock != 7 {
		t.Fatalf("stored %+v", p)
	}
	url := a.Router.ImageURL(p.Image)
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL + url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/jpeg" || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("GET %s: %d %v", url, res.StatusCode, res.Header)
	}
	if bytes.Contains(body, []byte("Exif")) || bytes.Contains(body, []byte("GPSLatitude")) {
		t.Fatal("the served picture keeps its EXIF")
	}
	cfgImg, err := jpeg.DecodeConfig(bytes.NewReader(body))
	if err != nil || cfgImg.Width != commerce.MaxImageSide || cfgImg.Height != commerce.MaxImageSide*3/4 {
		t.Fatalf("served %dx%d (%v); want %dx%d", cfgImg.Width, cfgImg.Height, err, commerce.MaxImageSide, commerce.MaxImageSide*3/4)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+url, nil)
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidation: %v %v", res, err)
	}
	for _, path := range []string{"/img/up-00000000000000000000000000000000.jpg", "/img/up-../../etc/passwd", "/img/up-x.jpg"} {
		if res, err := http.Get(srv.URL + path); err != nil || res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %v %v; want 404", path, res, err)
		}
	}
}

// replace returns args with the first old replaced by new.
func replace(args []string, old, new string) []string {
	out := append([]string{}, args...)
	for i, a := range out {
		if a == old {
			out[i] = new
			break
		}
	}
	return out
}

// TestProductCommandTraps: several products hidden at once, each reported;
// show prints and unhide un-hides; --stock +N adds, -N takes away (never
// below 0) and N sets.
func TestProductCommandTraps(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "shop.db")}
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(context.Background(), args, env(vars), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	if code, _, errOut := run("demo", "seed"); code != 0 {
		t.Fatalf("demo seed: %s", errOut)
	}
	hidden := func() string {
		_, all, _ := run("product", "list", "--all")
		var ids []string
		for _, line := range strings.Split(all, "\n") {
			if f := strings.Fields(line); len(f) > 6 && f[6] == "hidden" {
				ids = append(ids, f[0])
			}
		}
		return strings.Join(ids, ",")
	}
	code, out, errOut := run("product", "hide", "1", "2", "3", "2")
	if code != 0 || strings.Count(out, "hidden") != 3 || hidden() != "1,2,3" {
		t.Fatalf("hide 1 2 3: exit %d %q %q; hidden %s", code, out, errOut, hidden())
	}
	// Some not found: the others are changed, each named, exit 3.
	code, out, errOut = run("product", "unhide", "1", "NOPE", "3", "999")
	if code != 3 || !strings.Contains(out, `NOPE: no such product`) || !strings.Contains(out, "999: no such product") ||
		!strings.Contains(errOut, `2 of 4 changed`) || hidden() != "2" {
		t.Fatalf("unhide with unknowns: exit %d %q %q; hidden %s", code, out, errOut, hidden())
	}
	if code, _, errOut = run("product", "unhide", "NOPE", "NADA"); code != 1 || !strings.Contains(errOut, `"NOPE", "NADA"`) {
		t.Fatalf("unhide of unknowns only: exit %d %q", code, errOut)
	}
	// show displays, read only.
	code, out, _ = run("product", "show", "2")
	if code != 0 || !strings.Contains(out, "hidden") || !strings.Contains(out, "title en") || hidden() != "2" {
		t.Fatalf("show: exit %d %q; hidden %s", code, out, hidden())
	}
	if code, _, errOut = run("product", "show", "2", "3"); code != 2 || !strings.Contains(errOut, "unexpected argument") {
		t.Fatalf("show of two: exit %d %q", code, errOut)
	}

	stock := func() int {
		t.Helper()
		_, out, _ := run("product", "show", "4")
		m := regexp.MustCompile(`stock\s+(\d+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("show 4: %q", out)
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	for _, tc := range []struct {
		arg  string
		code int
		want func(before int) int
	}{
		{"5", 0, func(int) int { return 5 }},
		{"+5", 0, func(b int) int { return b + 5 }},
		{"-2", 0, func(b int) int { return b - 2 }},
		{"−3", 0, func(b int) int { return b - 3 }},
		{"-1000", 1, func(b int) int { return b }},
		{"+0", 2, func(b int) int { return b }},
		{"+-1", 2, func(b int) int { return b }},
		{"++1", 2, func(b int) int { return b }},
		{"+", 2, func(b int) int { return b }},
		{"0", 0, func(int) int { return 0 }},
	} {
		before := stock()
		code, out, errOut := run("product", "edit", "4", "--stock", tc.arg)
		if code != tc.code || stock() != tc.want(before) {
			t.Errorf("--stock %s from %d: exit %d, stock %d; want %d and %d (%q %q)", tc.arg, before, code, stock(), tc.code, tc.want(before), out, errOut)
		}
		if tc.arg == "-1000" && !strings.Contains(errOut, "below 0") {
			t.Errorf("--stock -1000: %q", errOut)
		}
	}
	if code, _, errOut := run("product", "edit", "4", "--stock=-1"); code != 1 || !strings.Contains(errOut, "only 0 in stock") {
		t.Errorf("--stock=-1 at 0: exit %d %q", code, errOut)
	}
}

func TestParseStockFlag(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in    string
		n     int
		delta bool
		ok    bool
	}{
		{"5", 5, false, true}, {" 0 ", 0, false, true}, {"+5", 5, true, true}, {"-2", -2, true, true}, {"−3", -3, true, true},
		{"1000000", 1000000, false, true}, {"+1000000", 1000000, true, true},
		{"1000001", 0, false, false}, {"+0", 0, false, false}, {"-0", 0, false, false}, {"+", 0, false, false},
		{"++1", 0, false, false}, {"+-1", 0, false, false}, {"1.5", 0, false, false}, {"", 0, false, false}, {"five", 0, false, false},
	} {
		n, delta, err := parseStockFlag(tc.in)
		if (err == nil) != tc.ok || (tc.ok && (n != tc.n || delta != tc.delta)) {
			t.Errorf("parseStockFlag(%q) = %d, %v, %v; want %d, %v, ok %v", tc.in, n, delta, err, tc.n, tc.delta, tc.ok)
		}
	}
}

// FuzzParseStockFlag: any --stock value is refused or gives a change
// within the stock's bounds.
func FuzzParseStockFlag(f *testing.F) {
	for _, s := range []string{"5", "+5", "-2", "−3", "+", "1e9", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, delta, err := parseStockFlag(s)
		if err != nil {
			return
		}
		if n < -commerce.MaxStock || n > commerce.MaxStock || (!delta && n < 0) || (delta && n == 0) {
			t.Fatalf("parseStockFlag(%q) = %d, %v", s, n, delta)
		}
	})
}
