package admin

import (
	"fmt"
	"math"
)

// Charts are SVG drawn on the server: the page computes the geometry, the
// template writes the elements (html/template escapes every attribute).

// columns is a vertical bar chart of one series (orders per day).
type columns struct {
	Width, Height, Base int // the viewBox; Base is the y of the axis
	Bars                []column
	Max                 int
}

type column struct {
	X, Y, W, H int
	Label      string // under the bar
	Value      int
	ShowLabel  bool
}

// newColumns lays out values (one per label) in a 320×140 box.
func newColumns(labels []string, values []int) columns {
	const width, height, base, top = 320, 140, 118, 14
	c := columns{Width: width, Height: height, Base: base}
	for _, v := range values {
		c.Max = max(c.Max, v)
	}
	n := max(len(values), 1)
	slot := width / n
	for i, v := range values {
		h := 0
		if c.Max > 0 {
			h = int(math.Round(float64(v) / float64(c.Max) * float64(base-top)))
		}
		if v > 0 && h < 2 {
			h = 2
		}
		c.Bars = append(c.Bars, column{X: i*slot + slot/6, Y: base - h, W: slot - slot/3, H: h, Label: labels[i], Value: v,
			ShowLabel: n <= 7 || i%2 == (n-1)%2})
	}
	return c
}

// sellThrough is a horizontal stacked bar per drop: sold, reserved, left.
type sellThrough struct {
	Width, Height int
	Rows          []throughRow
}

type throughRow struct {
	Y                    int
	Label                string
	SoldW, ResX, ResW    float64
	LeftX, LeftW         float64
	Percent              string // sold of units
	Sold, Reserved, Left int
}

const throughBar = 200.0 // the bars' width in the 320-wide box

// newSellThrough lays out one row per drop.
func newSellThrough(rows []throughRow) sellThrough {
	s := sellThrough{Width: 320, Height: max(len(rows), 1)*28 + 4}
	for i, r := range rows {
		units := r.Sold + r.Reserved + r.Left
		if units <= 0 {
			units = 1
		}
		scale := throughBar / float64(units)
		r.Y = 4 + i*28
		r.SoldW = float64(r.Sold) * scale
		r.ResX, r.ResW = r.SoldW, float64(r.Reserved)*scale
		r.LeftX, r.LeftW = r.SoldW+r.ResW, float64(r.Left)*scale
		r.Percent = fmt.Sprintf("%d%%", r.Sold*100/units)
		s.Rows = append(s.Rows, r)
	}
	return s
}
