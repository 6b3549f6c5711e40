// Package labels draws printable sheets of product labels for a counter or
// a shop window: on A4 pages, a grid of labels, each with a QR code that
// opens the product in the bot, the product's name (Chinese included),
// price and SKU. It is a leaf: label data in, a PDF or PNG out through an
// io.Writer, so the command line and a web page can both serve it.
package labels

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"slices"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/image/draw"
	"golang.org/x/image/math/fixed"

	"shopbot/poster/fonts"
)

// Label is one product's label. Price is already formatted ("¥129.00").
type Label struct {
	Name  string
	Price string
	SKU   string
	URL   string // what the QR code opens
}

// Layout is a label size: how many labels an A4 page holds.
type Layout struct {
	Name       string
	Cols, Rows int
}

// Layouts are the label sizes, smallest first; DefaultLayout is the default.
var Layouts = []Layout{
	{Name: "small", Cols: 3, Rows: 8},  // 24 a page, 70 × 37 mm
	{Name: "medium", Cols: 2, Rows: 6}, // 12 a page, 105 × 49.5 mm
	{Name: "large", Cols: 2, Rows: 4},  // 8 a page, 105 × 74 mm
}

// DefaultLayout is the layout used when none is named.
const DefaultLayout = "medium"

// Formats.
const (
	FormatPDF = "pdf"
	FormatPNG = "png"
)

// Limits.
const (
	MaxLabels  = 2000 // per sheet
	maxURL     = 1000
	maxNameLen = 200
	dpi        = 200 // A4 at 200 dpi: 1654 × 2339 pixels
	pageW      = 1654
	pageH      = 2339
	marginPx   = 59 // 7.5 mm
)

// ErrInvalid is wrapped by the errors of unusable input.
var ErrInvalid = errors.New("labels: invalid input")

// Options say how to render.
type Options struct {
	Layout string // a Layouts name; "" is DefaultLayout
	Format string // FormatPDF (default) or FormatPNG
	// Page is the page a PNG shows, from 1 (0 is 1): a PNG is one page.
	Page int
}

// LayoutByName finds a layout; ok is false for an unknown name.
func LayoutByName(name string) (Layout, bool) {
	if name == "" {
		name = DefaultLayout
	}
	i := slices.IndexFunc(Layouts, func(l Layout) bool { return l.Name == name })
	if i < 0 {
		return Layout{}, false
	}
	return Layouts[i], true
}

// PageCount is how many pages n labels take in a layout.
func (l Layout) PageCount(n int) int { return (n + l.Cols*l.Rows - 1) / (l.Cols * l.Rows) }

// Write renders the labels as o says and writes the file to w.
func Write(w io.Writer, list []Label, o Options) error {
	l, ok := LayoutByName(o.Layout)
	if !ok {
		return fmt.Errorf("labels: unknown size %q: %w", o.Layout, ErrInvalid)
	}
	if len(list) == 0 || len(list) > MaxLabels {
		return fmt.Errorf("labels: %d labels; want 1 to %d: %w", len(list), MaxLabels, ErrInvalid)
	}
	pages := l.PageCount(len(list))
	switch o.Format {
	case FormatPNG:
		page := max(o.Page, 1)
		if page > pages {
			return fmt.Errorf("labels: page %d of %d: %w", page, pages, ErrInvalid)
		}
		img, err := renderPage(l, list, page-1)
		if err != nil {
			return err
		}
		return (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(w, img)
	case FormatPDF, "":
		imgs := make([]*image.Gray, pages)
		for i := range imgs {
			var err error
			if imgs[i], err = renderPage(l, list, i); err != nil {
				return err
			}
		}
		return writePDF(w, imgs, dpi)
	}
	return fmt.Errorf("labels: unknown format %q: %w", o.Format, ErrInvalid)
}

var (
	colInk   = color.Gray{Y: 0x10}
	colSoft  = color.Gray{Y: 0x60}
	colGuide = color.Gray{Y: 0xd8}
)

// renderPage draws page i (from 0) of the sheet.
func renderPage(l Layout, list []Label, i int) (*image.Gray, error) {
	if err := fonts.Parse(); err != nil {
		return nil, fmt.Errorf("labels: fonts: %w", err)
	}
	per := l.Cols * l.Rows
	list = list[i*per : min(len(list), (i+1)*per)]
	img := image.NewGray(image.Rect(0, 0, pageW, pageH))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	cellW, cellH := (pageW-2*marginPx)/l.Cols, (pageH-2*marginPx)/l.Rows
	for k, lab := range list {
		x, y := marginPx+(k%l.Cols)*cellW, marginPx+(k/l.Cols)*cellH
		if err := drawLabel(img, image.Rect(x, y, x+cellW, y+cellH), lab); err != nil {
			return nil, fmt.Errorf("labels: label %d (%s): %w", i*per+k+1, lab.SKU, err)
		}
	}
	return img, nil
}

// drawLabel draws one label in cell: a light cutting guide, the QR code on
// the left, name, price and SKU on the right.
func drawLabel(img *image.Gray, cell image.Rectangle, lab Label) error {
	guide(img, cell)
	url := strings.TrimSpace(lab.URL)
	if url == "" || len(url) > maxURL {
		return fmt.Errorf("a QR target of 1 to %d bytes: %w", maxURL, ErrInvalid)
	}
	pad := cell.Dy() / 12
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("QR: %v: %w", err, ErrInvalid)
	}
	q.DisableBorder = true
	bits := q.Bitmap()
	// The code with a quiet zone of 4 modules (the standard's) to the
	// cutting line: n+8 modules fit the label's height.
	module := min(cell.Dy()/(len(bits)+8), cell.Dx()*9/20/len(bits))
	if module < 3 {
		return fmt.Errorf("the URL is too long for a QR code this small (%d px a module): %w", module, ErrInvalid)
	}
	quiet := max(pad, 4*module)
	qx, qy := cell.Min.X+quiet, cell.Min.Y+(cell.Dy()-module*len(bits))/2
	for r, row := range bits {
		for c, on := range row {
			if on {
				draw.Draw(img, image.Rect(qx+c*module, qy+r*module, qx+(c+1)*module, qy+(r+1)*module), image.Black, image.Point{}, draw.Src)
			}
		}
	}
	// The text column.
	tx := qx + module*len(bits) + pad
	tw := fixed.I(cell.Max.X - pad - tx)
	unit := float64(cell.Dy()) / 12
	name, err := newStyle(unit*1.1, true, colInk)
	if err != nil {
		return err
	}
	price, err := newStyle(unit*1.6, true, colInk)
	if err != nil {
		return err
	}
	small, err := newStyle(unit*0.8, false, colSoft)
	if err != nil {
		return err
	}
	y := cell.Min.Y + pad
	for _, line := range name.wrap(clean(lab.Name, maxNameLen), tw, 3) {
		y += name.lineHeight()
		name.Draw(img, tx, y, line)
	}
	if p := clean(lab.Price, 40); p != "" {
		y += price.lineHeight() + int(unit/3)
		price.Draw(img, tx, y, price.ellipsisIfWide(p, tw))
	}
	if sku := clean(lab.SKU, 64); sku != "" {
		small.Draw(img, tx, cell.Max.Y-pad, small.ellipsisIfWide(sku, tw))
	}
	return nil
}

// ellipsisIfWide is text, shortened with "…" when wider than width.
func (s style) ellipsisIfWide(text string, width fixed.Int26_6) string {
	if s.Measure(text) <= width {
		return text
	}
	return s.ellipsis(text, width)
}

// guide draws the cell's outline in light grey, to cut along.
func guide(img *image.Gray, r image.Rectangle) {
	g := image.NewUniform(colGuide)
	for _, e := range []image.Rectangle{
		image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+1), image.Rect(r.Min.X, r.Max.Y-1, r.Max.X, r.Max.Y),
		image.Rect(r.Min.X, r.Min.Y, r.Min.X+1, r.Max.Y), image.Rect(r.Max.X-1, r.Min.Y, r.Max.X, r.Max.Y),
	} {
		draw.Draw(img, e, g, image.Point{}, draw.Src)
	}
}
