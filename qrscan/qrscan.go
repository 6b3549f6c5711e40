// Package qrscan reads the QR code in a photo: staff at a pickup counter
// send a picture of the buyer's pass to the chat, and the router gets the
// text the code carries (bot.Options.DecodeQR).
//
// Input comes from strangers, so Decode bounds it before decoding: at most
// MaxBytes of PNG or JPEG, and at most MaxPixels according to the image's
// header (image.DecodeConfig), which stops decompression bombs (a tiny file
// that declares a huge picture) before anything large is allocated. QR
// decoding is github.com/makiuchi-d/gozxing, a port of ZXing.
package qrscan

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Limits of what Decode accepts.
const (
	// MaxBytes is the largest encoded image (chat adapters cap downloads
	// at the same size).
	MaxBytes = 10 << 20
	// MaxPixels is the largest picture, width × height, as its header
	// declares it.
	MaxPixels = 40_000_000
	// scanPixels bounds the picture the QR detector works on: larger ones
	// are shrunk by a whole factor first. A pass photographed at the
	// counter fills much of the frame, and the detector's time grows with
	// the pixels (a 40-megapixel photo without a code took ~10 s).
	scanPixels = 4_000_000
)

// Errors Decode returns (wrapped; compare with errors.Is).
var (
	// ErrNoCode: the picture was read but holds no readable QR code.
	ErrNoCode = errors.New("qrscan: no QR code found")
	// ErrTooLarge: the input is over MaxBytes or declares more than MaxPixels.
	ErrTooLarge = errors.New("qrscan: image too large")
	// ErrFormat: the input is not a readable PNG or JPEG.
	ErrFormat = errors.New("qrscan: not a PNG or JPEG image")
)

// Decode returns the text of the first QR code found in a PNG or JPEG
// image. It never panics.
func Decode(img []byte) (text string, err error) {
	if len(img) > MaxBytes {
		return "", fmt.Errorf("%d bytes: %w", len(img), ErrTooLarge)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return "", fmt.Errorf("%dx%d: %w", cfg.Width, cfg.Height, ErrFormat)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return "", fmt.Errorf("%dx%d: %w", cfg.Width, cfg.Height, ErrTooLarge)
	}
	// Decode with the package that read the header, whatever other formats
	// the program registered with package image.
	var pic image.Image
	switch format {
	case "png":
		pic, err = png.Decode(bytes.NewReader(img))
	case "jpeg":
		pic, err = jpeg.Decode(bytes.NewReader(img))
	default:
		return "", fmt.Errorf("%s: %w", format, ErrFormat)
	}
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrFormat, err)
	}
	defer func() {
		// gozxing is a port of Java code that signals some failures by
		// index errors; a photo must not bring the process down.
		if p := recover(); p != nil {
			text, err = "", fmt.Errorf("%w (decoder panicked: %v)", ErrNoCode, p)
		}
	}()
	return scan(pic)
}

// hints ask ZXing to spend more time looking for the finder patterns;
// pureHints, tried last, read a code that fills an unrotated picture
// (a screenshot of the pass, a crop) by its bounds alone, which succeeds
// on some codes whose finder patterns the detector misses.
var (
	hints     = map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	pureHints = map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true, gozxing.DecodeHintType_PURE_BARCODE: true}
)

// scan tries the binarizers ZXing offers: the local-threshold one suits
// photos with uneven light, the global histogram one low-contrast or
// blurred codes; then the same on the inverted picture (light modules on
// dark, as some apps show codes in dark mode).
func scan(pic image.Image) (string, error) {
	lum, w, h := luminance(pic)
	lum, w, h = shrink(lum, w, h, scanPixels)
	src, err := gozxing.NewPlanarYUVLuminanceSource(lum, w, h, 0, 0, w, h, false)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoCode, err)
	}
	for _, h := range []map[gozxing.DecodeHintType]any{hints, pureHints} {
		for _, s := range []gozxing.LuminanceSource{src, gozxing.LuminanceSourceInvert(src)} {
			for _, binarize := range []func(gozxing.LuminanceSource) gozxing.Binarizer{
				gozxing.NewHybridBinarizer, gozxing.NewGlobalHistgramBinarizer,
			} {
				bmp, err := gozxing.NewBinaryBitmap(binarize(s))
				if err != nil {
					return "", fmt.Errorf("%w: %w", ErrNoCode, err)
				}
				res, err := qrcode.NewQRCodeReader().Decode(bmp, h)
				if err == nil && res.GetText() != "" {
					return res.GetText(), nil
				}
			}
		}
	}
	return "", ErrNoCode
}

// luminance returns the picture as one byte of brightness per pixel, row
// by row, composited over white where it is transparent. It reads the
// common decoded layouts directly (JPEG's Y plane is the luminance
// already); anything else goes through image.Image.At.
func luminance(pic image.Image) ([]byte, int, int) {
	b := pic.Bounds()
	w, h := b.Dx(), b.Dy()
	out := make([]byte, w*h)
	switch m := pic.(type) {
	case *image.YCbCr:
		for y := range h {
			i := m.YOffset(b.Min.X, b.Min.Y+y)
			copy(out[y*w:(y+1)*w], m.Y[i:i+w])
		}
	case *image.Gray:
		for y := range h {
			i := m.PixOffset(b.Min.X, b.Min.Y+y)
			copy(out[y*w:(y+1)*w], m.Pix[i:i+w])
		}
	case *image.NRGBA:
		for y := range h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				p := row[4*x : 4*x+4]
				l := (uint32(p[0]) + 2*uint32(p[1]) + uint32(p[2])) / 4
				a := uint32(p[3])
				out[y*w+x] = byte((l*a + 255*(255-a)) / 255)
			}
		}
	case *image.RGBA: // premultiplied: over white is colour + (1 − alpha)
		for y := range h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				p := row[4*x : 4*x+4]
				l := (uint32(p[0]) + 2*uint32(p[1]) + uint32(p[2])) / 4
				out[y*w+x] = byte(min(255, l+255-uint32(p[3])))
			}
		}
	case *image.Paletted:
		var pal [256]byte
		for i, c := range m.Palette {
			pal[i] = lum(c.RGBA())
		}
		for y := range h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				out[y*w+x] = pal[row[x]]
			}
		}
	default:
		for y := range h {
			for x := range w {
				out[y*w+x] = lum(pic.At(b.Min.X+x, b.Min.Y+y).RGBA())
			}
		}
	}
	return out, w, h
}

// shrink averages k×k blocks of a w×h luminance picture, with the
// smallest k that brings it to at most limit pixels (k = 1: unchanged).
func shrink(lum []byte, w, h, limit int) ([]byte, int, int) {
	k := 1
	for (w/k)*(h/k) > limit {
		k++
	}
	if k == 1 {
		return lum, w, h
	}
	sw, sh := w/k, h/k
	out := make([]byte, sw*sh)
	sums := make([]uint32, sw)
	for sy := range sh {
		clear(sums)
		for y := sy * k; y < (sy+1)*k; y++ {
			row := lum[y*w : y*w+sw*k]
			for sx := range sw {
				for _, v := range row[sx*k : (sx+1)*k] {
					sums[sx] += uint32(v)
				}
			}
		}
		for sx, v := range sums {
			out[sy*sw+sx] = byte(v / uint32(k*k))
		}
	}
	return out, sw, sh
}

// lum is the brightness of a premultiplied 16-bit colour over white, with
// ZXing's weights (R + 2G + B) / 4.
func lum(r, g, b, a uint32) byte {
	l := (r + 2*g + b) / 4 // 0…0xffff
	return byte((l + 0xffff - a) >> 8)
}
