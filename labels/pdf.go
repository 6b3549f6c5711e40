package labels

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"io"
)

// A4 in PDF points (1/72 inch).
const (
	a4W = 595.28
	a4H = 841.89
)

// writePDF writes a minimal PDF 1.4 with one page per image, each image
// filling an A4 page (Flate-compressed grey pixels: lossless, so QR codes
// stay sharp). Object numbers: 1 catalog, 2 page tree, then per page its
// page, content stream and image.
func writePDF(w io.Writer, pages []*image.Gray, dpi int) error {
	bw := bufio.NewWriter(w)
	cw := &countWriter{w: bw}
	var offsets []int64
	obj := func(body func()) {
		offsets = append(offsets, cw.n)
		fmt.Fprintf(cw, "%d 0 obj\n", len(offsets))
		body()
		fmt.Fprint(cw, "\nendobj\n")
	}
	fmt.Fprint(cw, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	obj(func() { fmt.Fprint(cw, "<< /Type /Catalog /Pages 2 0 R >>") })
	obj(func() {
		fmt.Fprint(cw, "<< /Type /Pages /Kids [")
		for i := range pages {
			fmt.Fprintf(cw, " %d 0 R", 3+3*i)
		}
		fmt.Fprintf(cw, " ] /Count %d >>", len(pages))
	})
	for i, img := range pages {
		content, xobj := 4+3*i, 5+3*i // the page itself is 3+3*i
		obj(func() {
			fmt.Fprintf(cw, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /Im%d %d 0 R >> >> /Contents %d 0 R >>",
				a4W, a4H, i, xobj, content)
		})
		draw := fmt.Sprintf("q %.2f 0 0 %.2f 0 0 cm /Im%d Do Q\n", a4W, a4H, i)
		obj(func() { fmt.Fprintf(cw, "<< /Length %d >>\nstream\n%sendstream", len(draw), draw) })
		data, err := deflateGray(img)
		if err != nil {
			return err
		}
		obj(func() {
			b := img.Bounds()
			fmt.Fprintf(cw, "<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n",
				b.Dx(), b.Dy(), len(data))
			cw.Write(data)
			fmt.Fprint(cw, "\nendstream")
		})
	}
	xref := cw.n
	fmt.Fprintf(cw, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, off := range offsets {
		fmt.Fprintf(cw, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(cw, "trailer\n<< /Size %d /Root 1 0 R /Info << /Producer (shopbot labels, %d dpi) >> >>\nstartxref\n%d\n%%%%EOF\n",
		len(offsets)+1, dpi, xref)
	if cw.err != nil {
		return cw.err
	}
	return bw.Flush()
}

// deflateGray compresses an image's rows.
func deflateGray(img *image.Gray) ([]byte, error) {
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		off := img.PixOffset(b.Min.X, y)
		if _, err := zw.Write(img.Pix[off : off+b.Dx()]); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// countWriter counts the bytes written (for the cross-reference table)
// and keeps the first error.
type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}
