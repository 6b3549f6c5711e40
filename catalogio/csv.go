package catalogio

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"shopbot/commerce"
)

// parseCSV reads a CSV file whose first row names the columns. The delimiter
// is a comma, or a semicolon or tab when the header row uses those instead
// (spreadsheets in many locales export with semicolons). Rows whose cells are
// all blank are skipped.
func parseCSV(data []byte) ([]Item, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = delimiter(data)
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("empty CSV file, want a header row: %w", commerce.ErrInvalid)
	}
	if err != nil {
		return nil, csvError(err)
	}
	names := make([]string, len(header))
	for i, h := range header {
		names[i] = strings.ToLower(strings.TrimSpace(h))
	}
	if err := checkHeader(names); err != nil {
		return nil, fmt.Errorf("line 1: %w", err)
	}

	var c collector
	for n := 0; ; {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errors.Join(append(c.errs, csvError(err))...)
		}
		if blank(rec) {
			continue
		}
		line, _ := r.FieldPos(0)
		if n++; n > MaxItems {
			return nil, fmt.Errorf("line %d: more than %d products in one file: %w", line, MaxItems, commerce.ErrInvalid)
		}
		var f fields
		for i, v := range rec {
			f.set(names[i], v)
		}
		it, err := f.item()
		if !c.add("line "+strconv.Itoa(line), it, err) {
			break
		}
	}
	return c.result()
}

// delimiter picks the separator the header row uses most: comma, semicolon or tab.
func delimiter(data []byte) rune {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	best, count := ',', bytes.Count(first, []byte(","))
	for _, d := range []rune{';', '\t'} {
		if n := bytes.Count(first, []byte(string(d))); n > count {
			best, count = d, n
		}
	}
	return best
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// csvError turns a csv.ParseError into a line-numbered ErrInvalid.
func csvError(err error) error {
	if pe, ok := errors.AsType[*csv.ParseError](err); ok {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return fmt.Errorf("line %d: wrong number of cells, the header has a different count: %w", pe.StartLine, commerce.ErrInvalid)
		}
		return fmt.Errorf("line %d, column %d: %v: %w", pe.Line, pe.Column, pe.Err, commerce.ErrInvalid)
	}
	return fmt.Errorf("read CSV: %v: %w", err, commerce.ErrInvalid)
}
