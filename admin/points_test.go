package admin

import (
	"net/http"
	"net/url"
	"testing"
)

// TestPoints: add a point in a bonded zone, edit its texts, hours, slots
// and staff, close and reopen it; a bad code or hours change nothing.
func TestPoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.signIn("zh-CN")
	csrf := b.csrf()
	wantStatus(t, "page", b.get("/admin/points"), http.StatusOK, "SH-JINGAN")
	if w := b.post("/admin/points", url.Values{"csrf": {csrf}, "code": {"hz-xixi"}, "name": {"西溪自提点"}, "address": {"文一西路 1 号"},
		"city": {"杭州"}, "hours": {"Mo-Fr 10:00-20:00"}, "bonded": {"1"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("add: %d %s", w.Code, w.Body)
	}
	p, err := e.setup.PointByCode(e.ctx, "HZ-XIXI")
	if err != nil || p.Name["zh-CN"] != "西溪自提点" || !p.BondedZone || !p.Active || p.Opening.IsZero() {
		t.Fatalf("point %+v, %v", p, err)
	}
	wantStatus(t, "a code taken", b.post("/admin/points", url.Values{"csrf": {csrf}, "code": {"HZ-XIXI"}, "name": {"x"}, "address": {"y"}}),
		http.StatusConflict)
	wantStatus(t, "a bad code", b.post("/admin/points", url.Values{"csrf": {csrf}, "code": {"a b"}, "name": {"x"}, "address": {"y"}}),
		http.StatusUnprocessableEntity)
	edit := url.Values{"csrf": {csrf}, "name_en": {"Xixi counter"}, "address_ru": {"Вэньи Сі-лу, 1"}, "zone": {"Asia/Shanghai"},
		"hours": {"Mo-Sa 09:00-21:00"}, "slot_minutes": {"15"}, "slot_capacity": {"6"}, "staff": {"tg:42, web:xixi"}}
	if w := b.post("/admin/points/HZ-XIXI", edit); w.Code != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", w.Code, w.Body)
	}
	p, _ = e.setup.PointByCode(e.ctx, "HZ-XIXI")
	if p.Name["en"] != "Xixi counter" || p.Name["zh-CN"] != "西溪自提点" || p.Address["ru"] != "Вэньи Сі-лу, 1" || p.SlotMinutes != 15 ||
		p.SlotCapacity != 6 || len(p.Staff) != 2 || p.BondedZone {
		t.Fatalf("after edit %+v", p)
	}
	edit.Set("hours", "whenever")
	edit.Set("slot_capacity", "9")
	wantStatus(t, "bad hours", b.post("/admin/points/HZ-XIXI", edit), http.StatusUnprocessableEntity)
	if p2, _ := e.setup.PointByCode(e.ctx, "HZ-XIXI"); p2.SlotCapacity != 6 {
		t.Fatalf("a refused edit changed the point: %+v", p2)
	}
	if w := b.post("/admin/points/HZ-XIXI/open", url.Values{"csrf": {csrf}, "open": {"0"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("close: %d", w.Code)
	}
	if p, _ = e.setup.PointByCode(e.ctx, "HZ-XIXI"); p.Active {
		t.Fatal("still open")
	}
	wantStatus(t, "unknown", b.post("/admin/points/NOPE/open", url.Values{"csrf": {csrf}, "open": {"1"}}), http.StatusNotFound)
}
