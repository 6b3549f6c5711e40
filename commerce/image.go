package commerce

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"strings"
	"time"
)

// Pictures sellers upload are kept in the database, not on a disk that a
// second replica would not see. Every upload is decoded and encoded again:
// that drops whatever the file carried besides pixels (EXIF with the GPS
// position of the seller's home, camera serials, comments), turns a phone
// photo upright as its EXIF orientation says, and scales it down to at most
// MaxImageSide pixels a side. The key is the hash of the result, so the same
// picture is stored once and its URL can be cached forever.

// Limits of uploaded pictures.
const (
	MaxImageBytes  = 10 << 20   // an upload (the chat adapters download no more)
	MaxImagePixels = 40_000_000 // refused before decoding: a small file may claim a huge canvas
	MaxImageSide   = 1600       // longest side stored
	jpegQuality    = 85
)

// ImageKeyPrefix starts the key of every uploaded picture.
const ImageKeyPrefix = "up-"

// StoredImage is an uploaded picture as stored.
type StoredImage struct {
	Key           string // ImageKeyPrefix + 32 hex digits + ".jpg" or ".png"
	ContentType   string // "image/jpeg" or "image/png"
	Data          []byte
	Width, Height int
	CreatedAt     time.Time
}

// ValidImageKey reports whether key is shaped like an uploaded picture's key.
func ValidImageKey(key string) bool {
	rest, ok := strings.CutPrefix(key, ImageKeyPrefix)
	if !ok {
		return false
	}
	hash, ok := strings.CutSuffix(rest, ".jpg")
	if !ok {
		if hash, ok = strings.CutSuffix(rest, ".png"); !ok {
			return false
		}
	}
	if len(hash) != 32 {
		return false
	}
	for i := 0; i < len(hash); i++ {
		if c := hash[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// NormalizeImage decodes a JPEG or PNG upload and encodes it again upright,
// without metadata, at most MaxImageSide pixels a side: a JPEG stays a
// JPEG, a PNG a PNG (it may be transparent). ErrImageTooLarge for more than
// MaxImageBytes or MaxImagePixels, ErrBadImage for anything else it cannot
// read.
func NormalizeImage(data []byte) (StoredImage, error) {
	if len(data) > MaxImageBytes {
		return StoredImage{}, fmt.Errorf("%d bytes: %w", len(data), ErrImageTooLarge)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || format != "jpeg" && format != "png" {
		return StoredImage{}, fmt.Errorf("decode: %w", ErrBadImage)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return StoredImage{}, fmt.Errorf("%dx%d: %w", cfg.Width, cfg.Height, ErrBadImage)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return StoredImage{}, fmt.Errorf("%dx%d: %w", cfg.Width, cfg.Height, ErrImageTooLarge)
	}
	var src image.Image
	if format == "jpeg" {
		src, err = jpeg.Decode(bytes.NewReader(data))
	} else {
		src, err = png.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return StoredImage{}, fmt.Errorf("decode %s: %w", format, ErrBadImage)
	}
	img := toRGBA(src)
	if format == "jpeg" {
		img = orient(img, JPEGOrientation(data))
	}
	img = shrink(img, MaxImageSide)

	var buf bytes.Buffer
	out := StoredImage{Width: img.Bounds().Dx(), Height: img.Bounds().Dy()}
	ext := ".png"
	if format == "jpeg" {
		out.ContentType, ext = "image/jpeg", ".jpg"
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: jpegQuality})
	} else {
		out.ContentType = "image/png"
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img)
	}
	if err != nil {
		return StoredImage{}, fmt.Errorf("encode %s: %w", format, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	out.Key = ImageKeyPrefix + hex.EncodeToString(sum[:16]) + ext
	out.Data = buf.Bytes()
	return out, nil
}

func toRGBA(src image.Image) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), src, b.Min, draw.Src)
	return dst
}

// orient turns an image as an EXIF orientation (1–8) says it was taken.
func orient(src *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return src
	}
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	dw, dh := w, h
	if o >= 5 { // the transposing ones
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range h {
		for x := range w {
			var dx, dy int
			switch o {
			case 2: // mirrored
				dx, dy = w-1-x, y
			case 3: // upside down
				dx, dy = w-1-x, h-1-y
			case 4: // mirrored upside down
				dx, dy = x, h-1-y
			case 5: // mirrored, turned left
				dx, dy = y, x
			case 6: // turned left: rotate right to fix
				dx, dy = h-1-y, x
			case 7: // mirrored, turned right
				dx, dy = h-1-y, w-1-x
			case 8: // turned right: rotate left to fix
				dx, dy = y, w-1-x
			}
			si, di := src.PixOffset(x, y), dst.PixOffset(dx, dy)
			copy(dst.Pix[di:di+4], src.Pix[si:si+4])
		}
	}
	return dst
}

// shrink scales an image down (averaging boxes of source pixels) so that
// its longest side is at most side; smaller images are returned as they are.
func shrink(src *image.RGBA, side int) *image.RGBA {
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	if w <= side && h <= side {
		return src
	}
	dw, dh := side, max(1, h*side/w)
	if h > w {
		dw, dh = max(1, w*side/h), side
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for dy := range dh {
		y0, y1 := dy*h/dh, max((dy+1)*h/dh, dy*h/dh+1)
		for dx := range dw {
			x0, x1 := dx*w/dw, max((dx+1)*w/dw, dx*w/dw+1)
			var sum [4]uint64
			for y := y0; y < y1; y++ {
				row := src.Pix[src.PixOffset(x0, y) : src.PixOffset(x1-1, y)+4]
				for i := 0; i < len(row); i += 4 {
					sum[0] += uint64(row[i])
					sum[1] += uint64(row[i+1])
					sum[2] += uint64(row[i+2])
					sum[3] += uint64(row[i+3])
				}
			}
			n := uint64((x1 - x0) * (y1 - y0))
			di := dst.PixOffset(dx, dy)
			for c := range 4 {
				dst.Pix[di+c] = uint8(sum[c] / n)
			}
		}
	}
	return dst
}

// JPEGOrientation reads the EXIF orientation (1–8) of a JPEG file, or 1
// when it has none or it cannot be read. Only the segments before the
// image data are looked at.
func JPEGOrientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return 1
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return 1
		}
		marker := data[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // image data or end: no EXIF before it
			return 1
		}
		size := int(binary.BigEndian.Uint16(data[i+2:]))
		if size < 2 || i+2+size > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+size]
		if marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return exifOrientation(seg[6:])
		}
		i += 2 + size
	}
	return 1
}

// exifOrientation reads tag 0x0112 of IFD0 of a TIFF structure.
func exifOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var order binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 1
	}
	if order.Uint16(t[2:]) != 42 {
		return 1
	}
	ifd := int64(order.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > int64(len(t)) {
		return 1
	}
	n := int64(order.Uint16(t[ifd:]))
	for k := range n {
		e := ifd + 2 + 12*k
		if e+12 > int64(len(t)) {
			return 1
		}
		if order.Uint16(t[e:]) != 0x0112 {
			continue
		}
		if order.Uint16(t[e+2:]) != 3 || order.Uint32(t[e+4:]) != 1 { // SHORT, one value
			return 1
		}
		if o := int(order.Uint16(t[e+8:])); o >= 1 && o <= 8 {
			return o
		}
		return 1
	}
	return 1
}
