package demo

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"

	"shopbot/commerce"
)

// Bounds of the size RenderImage accepts, in pixels.
const (
	MinImageSize = 64
	MaxImageSize = 2048
)

// RenderImage draws the picture of the demo product whose Product.Image is key
// ("demo:COS-001") as a size×size PNG: a gradient in the category's colours,
// a simple icon for the category, the SKU and the short English title. The
// output depends only on key and size. It does no I/O; callers should cache
// the bytes. An unknown key is ErrNotFound, a size outside
// [MinImageSize, MaxImageSize] ErrInvalid.
func RenderImage(key string, size int) ([]byte, error) {
	if size < MinImageSize || size > MaxImageSize {
		return nil, fmt.Errorf("demo image size %d: %w", size, commerce.ErrInvalid)
	}
	sku, ok := strings.CutPrefix(key, ImagePrefix)
	if !ok {
		return nil, fmt.Errorf("demo image %q: %w", key, commerce.ErrNotFound)
	}
	var found *DemoProduct
	products := Products()
	for i := range products {
		if products[i].SKU == sku {
			found = &products[i]
			break
		}
	}
	if found == nil {
		return nil, fmt.Errorf("demo image %q: %w", key, commerce.ErrNotFound)
	}
	pal, ok := palettes[found.CategorySlug]
	if !ok {
		return nil, fmt.Errorf("demo image %q: no palette for category %q: %w", key, found.CategorySlug, commerce.ErrNotFound)
	}
	f, err := loadFonts()
	if err != nil {
		return nil, err
	}

	c := &canvas{img: image.NewRGBA(image.Rect(0, 0, size, size)), s: float32(size)}
	h := fnv.New32a()
	h.Write([]byte(sku))
	c.gradient(pal.top, pal.bottom, 0.15+float32(h.Sum32()%5)*0.1)
	c.ellipse(0.5, 0.44, 0.27, 0.27, color.NRGBA{255, 255, 255, 0x5a})
	c.ellipse(0.5, 0.668, 0.16, 0.022, color.NRGBA{0, 0, 0, 0x30})
	pal.icon(c, pal)
	if err := c.labels(f, pal, sku, found.Title.In("en")); err != nil {
		return nil, err
	}

	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, c.img); err != nil {
		return nil, fmt.Errorf("demo image %q: %w", key, err)
	}
	return buf.Bytes(), nil
}

// palette is the look of one category's pictures.
type palette struct {
	top, bottom color.NRGBA // background gradient
	accent      color.NRGBA // main icon colour
	accent2     color.NRGBA // secondary icon colour
	text        color.NRGBA // SKU text
	icon        func(*canvas, palette)
}

var palettes = map[string]palette{
	SlugCosmetics: {
		top: rgb(0xfbd3e2), bottom: rgb(0xee9ab9), accent: rgb(0xd94f7f), accent2: rgb(0xf7c6d7),
		text: rgb(0x7a1f3d), icon: drawBottle,
	},
	SlugBaby: {
		top: rgb(0xd6ecfa), bottom: rgb(0x93c7ec), accent: rgb(0x3c8dcb), accent2: rgb(0x1f5f99),
		text: rgb(0x1f4e79), icon: drawCan,
	},
	SlugSnacks: {
		top: rgb(0xffe7b0), bottom: rgb(0xf7ad5e), accent: rgb(0xe0533d), accent2: rgb(0xf4c542),
		text: rgb(0x7a3514), icon: drawBox,
	},
	SlugElectronics: {
		top: rgb(0xd3dce8), bottom: rgb(0x8193ae), accent: rgb(0x5fd0e6), accent2: rgb(0x2e3440),
		text: rgb(0x26313f), icon: drawDevice,
	},
	SlugHealth: {
		top: rgb(0xd5f2dc), bottom: rgb(0x86cf9f), accent: rgb(0x2e9e5b), accent2: rgb(0xcdefd8),
		text: rgb(0x1e5e36), icon: drawJar,
	},
}

func rgb(v uint32) color.NRGBA {
	return color.NRGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xff}
}

// shade scales a colour's channels by f (<1 darker, >1 lighter), clamped.
func shade(c color.NRGBA, f float32) color.NRGBA {
	ch := func(v uint8) uint8 { return uint8(min(255, float32(v)*f)) }
	return color.NRGBA{ch(c.R), ch(c.G), ch(c.B), c.A}
}

var white = color.NRGBA{255, 255, 255, 255}

// Icons, drawn in unit coordinates (0..1 of the picture's side) around the
// plate centred at (0.5, 0.44).

func drawBottle(c *canvas, p palette) { // a dropper bottle
	c.rrect(0.385, 0.34, 0.615, 0.655, 0.045, white)
	c.rrect(0.455, 0.285, 0.545, 0.35, 0.012, white)
	c.rrect(0.44, 0.27, 0.56, 0.30, 0.01, p.accent)
	c.rrect(0.465, 0.185, 0.535, 0.285, 0.035, p.accent)
	c.rrect(0.41, 0.44, 0.59, 0.565, 0.015, p.accent2)
	c.ellipse(0.5, 0.505, 0.02, 0.028, p.accent)
}

func drawCan(c *canvas, p palette) { // a formula tin
	c.rect(0.37, 0.31, 0.63, 0.645, white)
	c.ellipse(0.5, 0.645, 0.13, 0.03, white)
	c.rect(0.37, 0.43, 0.63, 0.54, p.accent)
	c.ellipse(0.5, 0.485, 0.032, 0.032, white)
	c.rect(0.365, 0.29, 0.635, 0.315, p.accent2)
	c.ellipse(0.5, 0.315, 0.135, 0.03, p.accent2)
	c.ellipse(0.5, 0.29, 0.135, 0.03, shade(p.accent2, 1.35))
}

func drawBox(c *canvas, p palette) { // a gift box of sweets
	c.poly(p.accent, 0.33, 0.38, 0.57, 0.38, 0.57, 0.65, 0.33, 0.65)
	c.poly(shade(p.accent, 0.78), 0.57, 0.38, 0.67, 0.32, 0.67, 0.59, 0.57, 0.65)
	c.poly(shade(p.accent, 1.18), 0.33, 0.38, 0.43, 0.32, 0.67, 0.32, 0.57, 0.38)
	c.rect(0.43, 0.38, 0.47, 0.65, p.accent2)
	c.poly(p.accent2, 0.43, 0.38, 0.53, 0.32, 0.57, 0.32, 0.47, 0.38)
	c.poly(shade(p.accent2, 0.85), 0.60, 0.36, 0.64, 0.335, 0.64, 0.605, 0.60, 0.63)
}

func drawDevice(c *canvas, p palette) { // a phone-like gadget
	c.rrect(0.395, 0.21, 0.605, 0.665, 0.035, p.accent2)
	c.rrect(0.41, 0.245, 0.59, 0.615, 0.012, p.accent)
	c.poly(color.NRGBA{255, 255, 255, 0x40}, 0.41, 0.26, 0.55, 0.245, 0.41, 0.45)
	c.rrect(0.47, 0.224, 0.53, 0.232, 0.004, shade(p.accent2, 1.8))
	c.ellipse(0.5, 0.64, 0.012, 0.012, shade(p.accent2, 1.8))
}

func drawJar(c *canvas, p palette) { // a jar of capsules
	c.rrect(0.375, 0.33, 0.625, 0.655, 0.04, white)
	c.rrect(0.365, 0.255, 0.635, 0.335, 0.02, p.accent)
	for _, x := range []float32{0.42, 0.47, 0.52, 0.57} {
		c.rect(x, 0.27, x+0.012, 0.32, shade(p.accent, 0.8))
	}
	c.rrect(0.395, 0.43, 0.605, 0.57, 0.015, p.accent2)
	c.rrect(0.43, 0.48, 0.57, 0.52, 0.02, p.accent)
	c.rrect(0.5, 0.48, 0.57, 0.52, 0.02, white)
	c.rect(0.5, 0.48, 0.52, 0.52, white)
}

// canvas draws anti-aliased shapes given in unit coordinates onto img.
type canvas struct {
	img *image.RGBA
	s   float32 // side in pixels
	z   vector.Rasterizer
	off [2]float32      // pixel origin of the current shape's rasterizer
	r   image.Rectangle // pixel bounds of the current shape
}

// gradient fills the picture from top to bottom, tilted by tilt (0 = vertical).
func (c *canvas) gradient(top, bottom color.NRGBA, tilt float32) {
	n := c.img.Bounds().Dx()
	span := float32(n-1) * (1 + tilt)
	for y := range n {
		row := c.img.Pix[y*c.img.Stride:]
		for x := range n {
			t := (float32(y) + tilt*float32(x)) / span
			i := 4 * x
			row[i] = lerp(top.R, bottom.R, t)
			row[i+1] = lerp(top.G, bottom.G, t)
			row[i+2] = lerp(top.B, bottom.B, t)
			row[i+3] = 0xff
		}
	}
}

func lerp(a, b uint8, t float32) uint8 {
	return uint8(float32(a) + (float32(b)-float32(a))*t + 0.5)
}

// begin starts a shape whose unit-coordinate bounds are (x0,y0)-(x1,y1).
func (c *canvas) begin(x0, y0, x1, y1 float32) bool {
	r := image.Rect(
		int(math.Floor(float64(x0*c.s)))-1, int(math.Floor(float64(y0*c.s)))-1,
		int(math.Ceil(float64(x1*c.s)))+1, int(math.Ceil(float64(y1*c.s)))+1,
	).Intersect(c.img.Bounds())
	if r.Empty() {
		return false
	}
	c.r = r
	c.off = [2]float32{float32(r.Min.X), float32(r.Min.Y)}
	c.z.Reset(r.Dx(), r.Dy())
	return true
}

func (c *canvas) pt(x, y float32) (float32, float32) { return x*c.s - c.off[0], y*c.s - c.off[1] }

func (c *canvas) moveTo(x, y float32) { c.z.MoveTo(c.pt(x, y)) }
func (c *canvas) lineTo(x, y float32) { c.z.LineTo(c.pt(x, y)) }
func (c *canvas) cubeTo(x1, y1, x2, y2, x3, y3 float32) {
	ax, ay := c.pt(x1, y1)
	bx, by := c.pt(x2, y2)
	cx, cy := c.pt(x3, y3)
	c.z.CubeTo(ax, ay, bx, by, cx, cy)
}

func (c *canvas) end(col color.NRGBA) {
	c.z.ClosePath()
	c.z.Draw(c.img, c.r, image.NewUniform(col), image.Point{})
}

// kappa places cubic Bézier control points to approximate a quarter circle.
const kappa = 0.5523

func (c *canvas) rect(x0, y0, x1, y1 float32, col color.NRGBA) {
	c.poly(col, x0, y0, x1, y0, x1, y1, x0, y1)
}

func (c *canvas) rrect(x0, y0, x1, y1, r float32, col color.NRGBA) {
	if !c.begin(x0, y0, x1, y1) {
		return
	}
	r = min(r, (x1-x0)/2, (y1-y0)/2)
	k := r * (1 - kappa)
	c.moveTo(x0+r, y0)
	c.lineTo(x1-r, y0)
	c.cubeTo(x1-k, y0, x1, y0+k, x1, y0+r)
	c.lineTo(x1, y1-r)
	c.cubeTo(x1, y1-k, x1-k, y1, x1-r, y1)
	c.lineTo(x0+r, y1)
	c.cubeTo(x0+k, y1, x0, y1-k, x0, y1-r)
	c.lineTo(x0, y0+r)
	c.cubeTo(x0, y0+k, x0+k, y0, x0+r, y0)
	c.end(col)
}

func (c *canvas) ellipse(cx, cy, rx, ry float32, col color.NRGBA) {
	if !c.begin(cx-rx, cy-ry, cx+rx, cy+ry) {
		return
	}
	kx, ky := rx*kappa, ry*kappa
	c.moveTo(cx+rx, cy)
	c.cubeTo(cx+rx, cy+ky, cx+kx, cy+ry, cx, cy+ry)
	c.cubeTo(cx-kx, cy+ry, cx-rx, cy+ky, cx-rx, cy)
	c.cubeTo(cx-rx, cy-ky, cx-kx, cy-ry, cx, cy-ry)
	c.cubeTo(cx+kx, cy-ry, cx+rx, cy-ky, cx+rx, cy)
	c.end(col)
}

// poly fills the polygon with vertices xy = x0, y0, x1, y1, …
func (c *canvas) poly(col color.NRGBA, xy ...float32) {
	x0, y0, x1, y1 := xy[0], xy[1], xy[0], xy[1]
	for i := 2; i+1 < len(xy); i += 2 {
		x0, x1 = min(x0, xy[i]), max(x1, xy[i])
		y0, y1 = min(y0, xy[i+1]), max(y1, xy[i+1])
	}
	if !c.begin(x0, y0, x1, y1) {
		return
	}
	c.moveTo(xy[0], xy[1])
	for i := 2; i+1 < len(xy); i += 2 {
		c.lineTo(xy[i], xy[i+1])
	}
	c.end(col)
}

// fonts are the parsed Go fonts, shared: opentype.Font methods are safe for
// concurrent use, faces (made per picture) are not.
type fonts struct{ bold, regular *opentype.Font }

var loadFonts = sync.OnceValues(func() (fonts, error) {
	bold, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return fonts{}, fmt.Errorf("parse gobold: %w", err)
	}
	regular, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return fonts{}, fmt.Errorf("parse goregular: %w", err)
	}
	return fonts{bold: bold, regular: regular}, nil
})

func newFace(f *opentype.Font, px float32) (font.Face, error) {
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: float64(px), DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return nil, fmt.Errorf("demo image font face: %w", err)
	}
	return face, nil
}

// labels draws the SKU tag at the top left and the title card at the bottom.
func (c *canvas) labels(f fonts, p palette, sku, title string) error {
	skuFace, err := newFace(f.bold, 0.045*c.s)
	if err != nil {
		return err
	}
	defer skuFace.Close()
	d := font.Drawer{Dst: c.img, Src: image.NewUniform(p.text), Face: skuFace}
	w := float32(d.MeasureString(sku)) / 64 / c.s
	c.rrect(0.05, 0.05, 0.05+w+0.05, 0.125, 0.0375, color.NRGBA{255, 255, 255, 0xd8})
	d.Dot = c.dot(0.075, 0.104)
	d.DrawString(sku)

	c.rrect(0.06, 0.74, 0.94, 0.94, 0.035, color.NRGBA{255, 255, 255, 0xeb})
	const maxW = 0.80
	var lines []string
	var face font.Face
	for i, px := range []float32{0.054, 0.047, 0.040} {
		if face != nil {
			face.Close()
		}
		if face, err = newFace(f.regular, px*c.s); err != nil {
			return err
		}
		lines = wrap(face, title, maxW*c.s)
		if len(lines) <= 2 {
			break
		}
		if i == 2 {
			lines = []string{lines[0], ellipsize(face, strings.Join(lines[1:], " "), maxW*c.s)}
		}
	}
	defer face.Close()
	d = font.Drawer{Dst: c.img, Src: image.NewUniform(color.NRGBA{0x33, 0x33, 0x33, 0xff}), Face: face}
	m := face.Metrics()
	lineH := float32(m.Height) / 64 / c.s * 1.1
	asc := float32(m.Ascent) / 64 / c.s
	top := 0.84 - lineH*float32(len(lines))/2
	for i, line := range lines {
		lw := float32(d.MeasureString(line)) / 64 / c.s
		d.Dot = c.dot(0.5-lw/2, top+lineH*float32(i)+asc+(lineH/1.1-asc)/4)
		d.DrawString(line)
	}
	return nil
}

func (c *canvas) dot(x, y float32) fixed.Point26_6 {
	return fixed.Point26_6{X: fixed.Int26_6(x * c.s * 64), Y: fixed.Int26_6(y * c.s * 64)}
}

// wrap breaks s into lines no wider than maxW pixels: one line if it fits,
// else the most even split into two lines, else greedily by word.
func wrap(face font.Face, s string, maxW float32) []string {
	width := func(s string) float32 { return float32(font.MeasureString(face, s)) / 64 }
	words := strings.Fields(s)
	if len(words) == 0 {
		return nil
	}
	if width(strings.Join(words, " ")) <= maxW {
		return []string{strings.Join(words, " ")}
	}
	// Keep a number with its unit ("800 g") where possible.
	for _, afterDigit := range []bool{false, true} {
		var best []string
		bestW := maxW
		for i := 1; i < len(words); i++ {
			prev := words[i-1]
			if !afterDigit && prev[len(prev)-1] >= '0' && prev[len(prev)-1] <= '9' {
				continue
			}
			a, b := strings.Join(words[:i], " "), strings.Join(words[i:], " ")
			if w := max(width(a), width(b)); w <= bestW {
				best, bestW = []string{a, b}, w
			}
		}
		if best != nil {
			return best
		}
	}
	var lines []string
	line := ""
	for _, w := range words {
		try := w
		if line != "" {
			try = line + " " + w
		}
		if line != "" && width(try) > maxW {
			lines = append(lines, line)
			try = w
		}
		line = try
	}
	lines = append(lines, line)
	for i, l := range lines {
		lines[i] = ellipsize(face, l, maxW)
	}
	return lines
}

// ellipsize shortens s with "…" until it fits maxW pixels.
func ellipsize(face font.Face, s string, maxW float32) string {
	if float32(font.MeasureString(face, s))/64 <= maxW {
		return s
	}
	r := []rune(s)
	for len(r) > 0 {
		r = r[:len(r)-1]
		t := strings.TrimSpace(string(r)) + "…"
		if float32(font.MeasureString(face, t))/64 <= maxW {
			return t
		}
	}
	return "…"
}
