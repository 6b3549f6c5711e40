package commerce

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Bounds of a drop's start as a seller types it.
const (
	maxDropLead  = 366 * 24 * time.Hour // a year ahead at most
	dropStartLag = time.Minute          // "now" typed a moment ago still counts
)

// ParseDropStart reads a drop's start time as a seller types it, in loc:
// "2026-11-27 20:00" (also with "T" or "/" and seconds), "20:00" (the next
// such time: today, else tomorrow), "now", or "+2h" / "+90m" / "+1h30m" /
// "+2d". Full-width digits of Chinese keyboards' colon are accepted. The
// result is not before now less a minute nor more than a year ahead;
// anything else is ErrInvalid.
func ParseDropStart(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	in := strings.TrimSpace(strings.NewReplacer("：", ":", "／", "/", "＋", "+").Replace(s))
	in = strings.Join(strings.Fields(in), " ")
	bad := fmt.Errorf("start %q: %w", s, ErrInvalid)
	if len(in) == 0 || len(in) > 40 {
		return time.Time{}, bad
	}
	var at time.Time
	switch {
	case strings.EqualFold(in, "now") || in == "现在" || strings.EqualFold(in, "сейчас"):
		at = now
	case strings.HasPrefix(in, "+"):
		d, err := parseLead(in[1:])
		if err != nil {
			return time.Time{}, bad
		}
		at = now.Add(d)
	case len(in) <= 5 && strings.Contains(in, ":"):
		t, err := time.ParseInLocation("15:04", in, loc)
		if err != nil {
			return time.Time{}, bad
		}
		local := now.In(loc)
		at = time.Date(local.Year(), local.Month(), local.Day(), t.Hour(), t.Minute(), 0, 0, loc)
		if !at.After(now) {
			at = time.Date(local.Year(), local.Month(), local.Day()+1, t.Hour(), t.Minute(), 0, 0, loc)
		}
	default:
		var err error
		at, err = parseDateTime(in, loc)
		if err != nil {
			return time.Time{}, bad
		}
	}
	if at.Before(now.Add(-dropStartLag)) || at.After(now.Add(maxDropLead)) {
		return time.Time{}, fmt.Errorf("start %q is in the past or more than a year ahead: %w", s, ErrInvalid)
	}
	return at, nil
}

func parseDateTime(in string, loc *time.Location) (time.Time, error) {
	in = strings.ReplaceAll(in, "/", "-")
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, in, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, ErrInvalid
}

// parseLead reads "2h", "90m", "1h30m" or "2d" (days are 24 h).
func parseLead(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 366 {
			return 0, ErrInvalid
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	if s == "" || s[0] < '0' || s[0] > '9' || strings.ContainsAny(s, "usµn.") {
		return 0, ErrInvalid // whole minutes or hours: no "ms", "us", "1.5h"
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > maxDropLead {
		return 0, ErrInvalid
	}
	return d, nil
}

// FindProduct finds a product by its ID or its SKU, hidden ones too.
// ErrNotFound if none.
func FindProduct(ctx context.Context, c CatalogStore, ref string) (Product, error) {
	ref = strings.TrimSpace(ref)
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
		p, err := c.Product(ctx, id)
		if err == nil || !errors.Is(err, ErrNotFound) {
			return p, err
		}
	}
	if ref == "" || len(ref) > 64 {
		return Product{}, fmt.Errorf("product %q: %w", ref, ErrNotFound)
	}
	const page = 500
	for off := 0; ; off += page {
		ps, err := c.Products(ctx, ProductFilter{WithHidden: true, Offset: off, Limit: page})
		if err != nil {
			return Product{}, err
		}
		for _, p := range ps {
			if strings.EqualFold(p.SKU, ref) {
				return p, nil
			}
		}
		if len(ps) < page {
			return Product{}, fmt.Errorf("product %q: %w", ref, ErrNotFound)
		}
	}
}
