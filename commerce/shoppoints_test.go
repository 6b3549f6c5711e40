package commerce

import (
	"context"
	"errors"
	"testing"
)

// memPoints adds pickup points to memSetup.
type memPoints struct {
	*memSetup
	points []PickupPoint
}

func (m *memPoints) AllPickupPoints(context.Context) ([]PickupPoint, error) { return m.points, nil }

func (m *memPoints) UpsertPickupPoint(_ context.Context, p PickupPoint) (PickupPoint, error) {
	for i := range m.points {
		if m.points[i].Code == p.Code {
			p.ID = m.points[i].ID
			m.points[i] = p
			return p, nil
		}
	}
	p.ID = int64(len(m.points) + 1)
	m.points = append(m.points, p)
	return p, nil
}

func TestShopSetupPoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := NewShopSetup(ShopSetupOptions{Store: &memPoints{memSetup: &memSetup{}}, Defaults: DefaultProfile("RU", "Europe/Moscow")})
	adds := []struct {
		name string
		in   PointInput
		want error
	}{
		{"Chinese name and address", PointInput{Code: "SH-1", Name: "静安自提点", Address: "南京西路 1266 号", BondedZone: true}, nil},
		{"taken code", PointInput{Code: "sh-1", Name: "X", Address: "Y"}, ErrConflict},
		{"code with a space", PointInput{Code: "SH 2", Name: "X", Address: "Y"}, ErrInvalid},
		{"no address", PointInput{Code: "SH-2", Name: "X"}, ErrInvalid},
		{"bad zone", PointInput{Code: "SH-2", Name: "X", Address: "Y", TimeZone: "Mars/Olympus"}, ErrInvalid},
		{"bad position", PointInput{Code: "SH-2", Name: "X", Address: "Y", Lat: 91}, ErrInvalid},
		{"bad hours", PointInput{Code: "SH-2", Name: "X", Address: "Y", Hours: "always"}, ErrInvalid},
		{"unknown language", PointInput{Code: "SH-2", Name: "X", Address: "Y", Lang: "de"}, ErrInvalid},
		{"hours and a city in Russian", PointInput{Code: "MSK", Name: "Арбат", Address: "Арбат, 1", City: "Москва", Hours: "Mo-Fr 10:00-19:00"}, nil},
	}
	for _, a := range adds {
		p, err := s.AddPoint(ctx, a.in)
		if !errors.Is(err, a.want) || a.want == nil && err != nil {
			t.Errorf("%s: AddPoint = %+v, %v; want %v", a.name, p, err, a.want)
		}
	}
	sh, _ := s.PointByCode(ctx, "sh-1")
	if sh.Name["zh-CN"] != "静安自提点" || sh.TimeZone != "Europe/Moscow" || !sh.BondedZone || !sh.Active || sh.SlotMinutes == 0 {
		t.Errorf("SH-1 = %+v: Chinese texts, the shop's zone, bonded, open, defaults filled in", sh)
	}
	msk, _ := s.PointByCode(ctx, "MSK")
	if msk.City["ru"] != "Москва" || msk.Opening.IsZero() {
		t.Errorf("MSK = %+v", msk)
	}
	p, err := s.EditPoint(ctx, "SH-1", func(p *PickupPoint) error {
		p.Name = SetPointText(p.Name, "", "Jing'an counter")
		p.Code = "CHANGED"
		return nil
	})
	if err != nil || p.Code != "SH-1" || p.Name["en"] != "Jing'an counter" || p.Name["zh-CN"] != "静安自提点" {
		t.Errorf("EditPoint = %+v, %v: the English name added, the Chinese kept, the code unchanged", p, err)
	}
	if _, err := s.EditPoint(ctx, "SH-1", func(p *PickupPoint) error { p.TimeZone = "Local"; return nil }); !errors.Is(err, ErrInvalid) {
		t.Errorf("EditPoint(Local zone) = %v, want ErrInvalid", err)
	}
	if p, err := s.SetPointOpen(ctx, "SH-1", false); err != nil || p.Active {
		t.Errorf("SetPointOpen(false) = %+v, %v", p, err)
	}
	if _, err := s.SetPointOpen(ctx, "NOPE", true); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetPointOpen(unknown) = %v", err)
	}
}
