package catalogio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"shopbot/commerce"
)

// jsonItem is one object of a JSON product file. Text fields must be JSON
// strings; price, stock and active may be strings or bare numbers/booleans.
type jsonItem struct {
	SKU           string `json:"sku"`
	Category      string `json:"category"`
	TitleEN       string `json:"title_en"`
	TitleZH       string `json:"title_zh"`
	TitleRU       string `json:"title_ru"`
	DescriptionEN string `json:"description_en"`
	DescriptionZH string `json:"description_zh"`
	DescriptionRU string `json:"description_ru"`
	Price         scalar `json:"price"`
	Currency      string `json:"currency"`
	Origin        string `json:"origin"`
	Stock         scalar `json:"stock"`
	Image         string `json:"image"`
	Active        scalar `json:"active"`
}

// scalar is a JSON string, number or boolean kept as its text, so that
// "129.00" and 129.00 both reach commerce.ParseMoney digit for digit (a
// number is never converted to a float). null is empty.
type scalar string

func (s *scalar) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0:
		return fmt.Errorf("empty value: %w", commerce.ErrInvalid)
	case b[0] == '"':
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*s = scalar(str)
	case string(b) == "null":
		*s = ""
	case b[0] == '{' || b[0] == '[':
		return fmt.Errorf("got an object or array, want a string, number or boolean: %w", commerce.ErrInvalid)
	default: // number, true, false
		*s = scalar(b)
	}
	return nil
}

// parseJSON reads a JSON array of product objects, one at a time so that
// errors name the item and its line.
func parseJSON(data []byte) ([]Item, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err == io.EOF {
		return nil, fmt.Errorf("empty JSON file, want an array of products: %w", commerce.ErrInvalid)
	}
	if err != nil {
		return nil, jsonError(data, err)
	}
	if tok != json.Delim('[') {
		return nil, fmt.Errorf("line 1: want a JSON array of products: %w", commerce.ErrInvalid)
	}
	var c collector
	lines := lineCounter{data: data}
	for n := 1; dec.More(); n++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, errors.Join(append(c.errs, jsonError(data, err))...)
		}
		where := fmt.Sprintf("item %d (line %d)", n, lines.at(int(dec.InputOffset())-len(raw)))
		if n > MaxItems {
			return nil, fmt.Errorf("%s: more than %d products in one file: %w", where, MaxItems, commerce.ErrInvalid)
		}
		it, err := decodeItem(raw)
		if !c.add(where, it, err) {
			return c.result()
		}
	}
	if _, err := dec.Token(); err != nil { // the closing ]
		return nil, errors.Join(append(c.errs, jsonError(data, err))...)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("line %d: unexpected data after the array: %w", lines.at(int(dec.InputOffset())), commerce.ErrInvalid)
	}
	return c.result()
}

// decodeItem decodes one object strictly: no unknown or repeated keys.
func decodeItem(raw json.RawMessage) (Item, error) {
	if len(raw) == 0 || raw[0] != '{' {
		return Item{}, fmt.Errorf("want an object: %w", commerce.ErrInvalid)
	}
	if err := uniqueKeys(raw); err != nil {
		return Item{}, err
	}
	var ji jsonItem
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ji); err != nil {
		if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			return Item{}, fmt.Errorf("%s: got a %s, want a string: %w", te.Field, te.Value, commerce.ErrInvalid)
		}
		if errors.Is(err, commerce.ErrInvalid) {
			return Item{}, err
		}
		return Item{}, fmt.Errorf("%s: %w", strings.TrimPrefix(err.Error(), "json: "), commerce.ErrInvalid)
	}
	return fields{
		SKU: ji.SKU, Category: ji.Category,
		TitleEN: ji.TitleEN, TitleZH: ji.TitleZH, TitleRU: ji.TitleRU,
		DescriptionEN: ji.DescriptionEN, DescriptionZH: ji.DescriptionZH, DescriptionRU: ji.DescriptionRU,
		Price: string(ji.Price), Currency: ji.Currency, Origin: ji.Origin, Stock: string(ji.Stock),
		Image: ji.Image, Active: string(ji.Active),
	}.item()
}

// uniqueKeys rejects an object that repeats a key (case-insensitively, as
// encoding/json matches keys), which encoding/json would silently resolve.
func uniqueKeys(raw json.RawMessage) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // {
		return fmt.Errorf("%v: %w", err, commerce.ErrInvalid)
	}
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%v: %w", err, commerce.ErrInvalid)
		}
		key, _ := tok.(string)
		if k := strings.ToLower(key); seen[k] {
			return fmt.Errorf("repeated field %q: %w", key, commerce.ErrInvalid)
		} else {
			seen[k] = true
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return fmt.Errorf("%v: %w", err, commerce.ErrInvalid)
		}
	}
	return nil
}

// jsonError names the line of a syntax error.
func jsonError(data []byte, err error) error {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		off := min(int(se.Offset), len(data))
		return fmt.Errorf("line %d: %v: %w", 1+bytes.Count(data[:off], []byte("\n")), se, commerce.ErrInvalid)
	}
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		return fmt.Errorf("unexpected end of JSON file: %w", commerce.ErrInvalid)
	}
	return fmt.Errorf("%v: %w", err, commerce.ErrInvalid)
}

// lineCounter maps increasing byte offsets to line numbers in linear time.
type lineCounter struct {
	data []byte
	off  int
	line int
}

func (l *lineCounter) at(off int) int {
	off = max(min(off, len(l.data)), l.off)
	l.line += bytes.Count(l.data[l.off:off], []byte("\n"))
	l.off = off
	return l.line + 1
}
