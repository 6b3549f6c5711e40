package admin

import (
	"net/http"
	"strconv"
	"strings"

	"shopbot/commerce"
	"shopbot/templates"
)

// The pickup points page: add a point; edit its name and address per
// language, zone, opening hours, slots, staff and whether it is in a
// bonded zone; close and reopen it — the shop setup's services, as the
// chat's /point and "shopbot pickup points" use them.

func (c *Console) registerPoints(mux *http.ServeMux) {
	if c.o.Setup == nil {
		return
	}
	mux.HandleFunc("GET /admin/points", c.page(func(w http.ResponseWriter, r *http.Request, q access) {
		var n *notice
		switch r.URL.Query().Get("done") {
		case "created":
			n = &notice{Level: "ok", Key: "console_point_created"}
		case "saved":
			n = &notice{Level: "ok", Key: "console_category_saved"}
		}
		c.showPoints(w, r, q, http.StatusOK, n, commerce.PointInput{})
	}))
	mux.HandleFunc("POST /admin/points", c.page(c.addPoint))
	mux.HandleFunc("POST /admin/points/{code}", c.page(c.editPoint))
	mux.HandleFunc("POST /admin/points/{code}/open", c.page(c.openPoint))
}

type pointRow struct {
	commerce.PickupPoint
	Opening string // the weekly hours as typed
	Staff   string // comma-separated
}

type pointsData struct {
	Points []pointRow
	Langs  []string
	New    commerce.PointInput // typed, when refused
}

func (c *Console) showPoints(w http.ResponseWriter, r *http.Request, q access, status int, n *notice, typed commerce.PointInput) {
	pts, err := c.o.Setup.Points(r.Context())
	if err != nil {
		c.internal(w, r, q, "points", err)
		return
	}
	d := pointsData{Langs: templates.Locales, New: typed}
	for _, p := range pts {
		row := pointRow{PickupPoint: p, Staff: strings.Join(p.Staff, ", ")}
		if !p.Opening.IsZero() {
			row.Opening = p.Opening.String()
		}
		d.Points = append(d.Points, row)
	}
	c.render(w, r, status, &view{Page: "points", Identity: q.Identity, CSRF: q.CSRF, Notice: n, Data: d})
}

func (c *Console) addPoint(w http.ResponseWriter, r *http.Request, q access) {
	in := commerce.PointInput{Code: strings.ToUpper(strings.TrimSpace(r.PostFormValue("code"))), Lang: templates.Match(r.PostFormValue("lang")),
		Name: r.PostFormValue("name"), Address: r.PostFormValue("address"), City: r.PostFormValue("city"),
		TimeZone: strings.TrimSpace(r.PostFormValue("zone")), Hours: strings.TrimSpace(r.PostFormValue("hours")),
		BondedZone: r.PostFormValue("bonded") == "1"}
	if _, err := c.o.Setup.AddPoint(r.Context(), in); err != nil {
		c.refused(w, r, q, "add point", err, func(n *notice, status int) { c.showPoints(w, r, q, status, n, in) })
		return
	}
	http.Redirect(w, r, "/admin/points?done=created", http.StatusSeeOther)
}

// editPoint saves the point's form: texts per language (empty keeps), the
// zone, the hours, slots, staff and the bonded zone flag, at once.
func (c *Console) editPoint(w http.ResponseWriter, r *http.Request, q access) {
	code := r.PathValue("code")
	_, err := c.o.Setup.EditPoint(r.Context(), code, func(p *commerce.PickupPoint) error {
		for _, l := range templates.Locales {
			for field, t := range map[string]*commerce.Text{"name": &p.Name, "address": &p.Address, "city": &p.City} {
				if s := strings.TrimSpace(r.PostFormValue(field + "_" + l)); s != "" {
					clean, err := commerce.CleanPointText(field, s)
					if err != nil {
						return err
					}
					*t = commerce.SetPointText(*t, l, clean)
				}
			}
		}
		if z := strings.TrimSpace(r.PostFormValue("zone")); z != "" {
			p.TimeZone = z
		}
		hours := strings.TrimSpace(r.PostFormValue("hours"))
		p.Opening = commerce.WeeklyHours{}
		if hours != "" {
			wk, err := commerce.ParseWeeklyHours(hours)
			if err != nil {
				return commerce.ErrInvalid
			}
			p.Opening, p.Hours = wk, ""
		}
		minutes, err1 := strconv.Atoi(r.PostFormValue("slot_minutes"))
		capacity, err2 := strconv.Atoi(r.PostFormValue("slot_capacity"))
		if err1 != nil || err2 != nil {
			return commerce.ErrInvalid
		}
		p.SlotMinutes, p.SlotCapacity = minutes, capacity
		p.Staff = nil
		for _, s := range strings.FieldsFunc(r.PostFormValue("staff"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
			if !commerce.ValidIdentity(s) {
				return commerce.ErrInvalid
			}
			p.Staff = append(p.Staff, s)
		}
		p.BondedZone = r.PostFormValue("bonded") == "1"
		return nil
	})
	if err != nil {
		c.refused(w, r, q, "edit point", err, func(n *notice, status int) { c.showPoints(w, r, q, status, n, commerce.PointInput{}) })
		return
	}
	http.Redirect(w, r, "/admin/points?done=saved#point-"+code, http.StatusSeeOther)
}

func (c *Console) openPoint(w http.ResponseWriter, r *http.Request, q access) {
	if _, err := c.o.Setup.SetPointOpen(r.Context(), r.PathValue("code"), r.PostFormValue("open") == "1"); err != nil {
		c.refused(w, r, q, "open point", err, func(n *notice, status int) { c.showPoints(w, r, q, status, n, commerce.PointInput{}) })
		return
	}
	http.Redirect(w, r, "/admin/points?done=saved", http.StatusSeeOther)
}
