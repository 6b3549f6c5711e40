package commerce

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The seller's pickup points through ShopSetup: created, edited, closed
// and reopened (the chat's /point, the command line's "pickup points", the
// console). Writes replace the whole point (PickupStore.UpsertPickupPoint):
// callers that may edit one point at once from several places serialize
// the read and the write (the chat takes its points lock).

// MaxPointTextRunes bounds a point's name and address in one language.
const MaxPointTextRunes = 200

// PointInput is a new pickup point. Name, Address and City are in Lang, or
// in the language each is written in when Lang is empty. TimeZone ""
// takes the shop's. Hours are weekly opening hours (ParseWeeklyHours), ""
// for none yet (the point offers no slots until it has some).
type PointInput struct {
	Code, Lang          string
	Name, Address, City string
	TimeZone            string
	Lat, Lng            float64
	BondedZone          bool
	Hours               string
}

// ValidPointCode reports whether s is a point code: 1–32 letters, digits,
// "-" or "_".
func ValidPointCode(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	})
}

// CleanPointText checks and tidies a point's name, address or city: 1–
// MaxPointTextRunes printable characters on one line. ErrInvalid otherwise.
func CleanPointText(what, s string) (string, error) {
	s = cleanLine(s)
	if s == "" || len([]rune(s)) > MaxPointTextRunes || !printable(s, false) {
		return "", fmt.Errorf("pickup point %s: %w", what, ErrInvalid)
	}
	return s, nil
}

// SetPointText sets a point's text in lang ("" = the language it is
// written in); the other languages stay.
func SetPointText(t Text, lang, s string) Text {
	if lang == "" {
		lang = TextLanguage(s, "en")
	}
	return withText(t, lang, s)
}

// Points returns every pickup point, closed ones too, by ID.
func (s *ShopSetup) Points(ctx context.Context) ([]PickupPoint, error) {
	return s.store.AllPickupPoints(ctx)
}

// PointByCode returns a point by its code (any case). ErrNotFound.
func (s *ShopSetup) PointByCode(ctx context.Context, code string) (PickupPoint, error) {
	pts, err := s.store.AllPickupPoints(ctx)
	if err != nil {
		return PickupPoint{}, err
	}
	i := slices.IndexFunc(pts, func(p PickupPoint) bool { return strings.EqualFold(p.Code, code) })
	if i < 0 {
		return PickupPoint{}, fmt.Errorf("pickup point %q: %w", code, ErrNotFound)
	}
	return pts[i], nil
}

// AddPoint creates an open pickup point. ErrInvalid naming what is wrong;
// ErrConflict when a point has the code.
func (s *ShopSetup) AddPoint(ctx context.Context, in PointInput) (PickupPoint, error) {
	if !ValidPointCode(in.Code) {
		return PickupPoint{}, fmt.Errorf("pickup point code %q: %w", in.Code, ErrInvalid)
	}
	if in.Lang != "" && !slices.Contains(Languages, in.Lang) {
		return PickupPoint{}, fmt.Errorf("language %q: %w", in.Lang, ErrInvalid)
	}
	name, err := CleanPointText("name", in.Name)
	if err != nil {
		return PickupPoint{}, err
	}
	addr, err := CleanPointText("address", in.Address)
	if err != nil {
		return PickupPoint{}, err
	}
	p := PickupPoint{Code: in.Code, Name: SetPointText(nil, in.Lang, name), Address: SetPointText(nil, in.Lang, addr),
		City: Text{}, TimeZone: in.TimeZone, Lat: in.Lat, Lon: in.Lng, BondedZone: in.BondedZone, Active: true}
	if in.City != "" {
		city, err := CleanPointText("city", in.City)
		if err != nil {
			return PickupPoint{}, err
		}
		p.City = SetPointText(nil, in.Lang, city)
	}
	if p.TimeZone == "" {
		prof, _, _ := s.Profile(ctx)
		p.TimeZone = prof.TimeZone
	}
	if in.Hours != "" {
		w, err := ParseWeeklyHours(in.Hours)
		if err != nil {
			return PickupPoint{}, fmt.Errorf("pickup point hours: %w", ErrInvalid)
		}
		p.Opening = w
	}
	if _, err := s.PointByCode(ctx, in.Code); err == nil {
		return PickupPoint{}, fmt.Errorf("pickup point %s exists: %w", in.Code, ErrConflict)
	} else if !errors.Is(err, ErrNotFound) {
		return PickupPoint{}, err
	}
	return s.savePoint(ctx, p)
}

// savePoint validates (with defaults filled in) and writes a point.
func (s *ShopSetup) savePoint(ctx context.Context, p PickupPoint) (PickupPoint, error) {
	p = p.WithDefaults()
	if err := p.Validate(); err != nil {
		return PickupPoint{}, err
	}
	return s.store.UpsertPickupPoint(ctx, p)
}

// EditPoint applies edit to the point with code and saves it, checked
// (ErrInvalid); an error from edit aborts with nothing changed.
// ErrNotFound for an unknown code. The code never changes.
func (s *ShopSetup) EditPoint(ctx context.Context, code string, edit func(*PickupPoint) error) (PickupPoint, error) {
	p, err := s.PointByCode(ctx, code)
	if err != nil {
		return PickupPoint{}, err
	}
	next := p
	next.Holidays, next.Staff = slices.Clone(p.Holidays), slices.Clone(p.Staff)
	if err := edit(&next); err != nil {
		return PickupPoint{}, err
	}
	next.ID, next.Code = p.ID, p.Code
	return s.savePoint(ctx, next)
}

// SetPointOpen closes a point (buyers no longer choose it; orders there
// stay) or reopens it. ErrNotFound.
func (s *ShopSetup) SetPointOpen(ctx context.Context, code string, open bool) (PickupPoint, error) {
	return s.EditPoint(ctx, code, func(p *PickupPoint) error { p.Active = open; return nil })
}
