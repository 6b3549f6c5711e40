package admin

import (
	"net/http"
	"slices"
	"strings"

	"shopbot/commerce"
	"shopbot/templates"
)

// The settings page: the shop's profile (name, welcome per language,
// languages offered and the default, time zone, phone region, currency,
// contact hours), saved at once with the shop setup's checks.

func (c *Console) registerSettings(mux *http.ServeMux) {
	if c.o.Setup == nil {
		return
	}
	mux.HandleFunc("GET /admin/settings", c.page(func(w http.ResponseWriter, r *http.Request, q access) {
		var n *notice
		if r.URL.Query().Get("done") == "saved" {
			n = &notice{Level: "ok", Key: "console_settings_saved"}
		}
		c.showSettings(w, r, q, http.StatusOK, n, nil)
	}))
	mux.HandleFunc("POST /admin/settings", c.page(c.saveSettings))
}

type settingsData struct {
	Profile commerce.ShopProfile
	Langs   []string
}

func (c *Console) showSettings(w http.ResponseWriter, r *http.Request, q access, status int, n *notice, typed *commerce.ShopProfile) {
	p, _, err := c.o.Setup.Profile(r.Context())
	if err != nil {
		c.internal(w, r, q, "profile", err)
		return
	}
	if typed != nil {
		p = *typed
	}
	c.render(w, r, status, &view{Page: "settings", Identity: q.Identity, CSRF: q.CSRF, Notice: n,
		Data: settingsData{Profile: p, Langs: templates.Locales}})
}

// settingsForm reads the profile the form describes.
func settingsForm(r *http.Request) commerce.ShopProfile {
	p := commerce.ShopProfile{Name: strings.TrimSpace(r.PostFormValue("name")), Welcome: commerce.Text{},
		DefaultLang: r.PostFormValue("default_lang"), TimeZone: strings.TrimSpace(r.PostFormValue("zone")),
		Region: strings.ToUpper(strings.TrimSpace(r.PostFormValue("region"))), Currency: strings.TrimSpace(r.PostFormValue("currency")),
		ContactHours: strings.TrimSpace(r.PostFormValue("hours"))}
	for _, l := range templates.Locales {
		if s := strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("welcome_"+l), "\r\n", "\n")); s != "" {
			p.Welcome[l] = s
		}
		if slices.Contains(r.PostForm["langs"], l) {
			p.Languages = append(p.Languages, l)
		}
	}
	return p
}

// saveSettings answers POST /admin/settings: every field in one update, or
// none (a field refused shows the form again as typed).
func (c *Console) saveSettings(w http.ResponseWriter, r *http.Request, q access) {
	typed := settingsForm(r)
	again := func(n *notice, status int) { c.showSettings(w, r, q, status, n, &typed) }
	if typed.Name == "" || len(typed.Languages) == 0 {
		again(&notice{Level: "error", Key: "console_err_invalid"}, http.StatusUnprocessableEntity)
		return
	}
	currency, err := commerce.ParseCurrency(typed.Currency)
	if err != nil {
		again(&notice{Level: "error", Key: "console_err_invalid"}, http.StatusUnprocessableEntity)
		return
	}
	_, err = c.o.Setup.UpdateProfile(r.Context(), func(p *commerce.ShopProfile) error {
		p.Name, p.Welcome, p.Languages, p.DefaultLang = typed.Name, typed.Welcome, typed.Languages, typed.DefaultLang
		p.TimeZone, p.Region, p.Currency, p.ContactHours = typed.TimeZone, typed.Region, currency, typed.ContactHours
		return nil
	})
	if err != nil {
		c.refused(w, r, q, "save settings", err, again)
		return
	}
	c.log.InfoContext(r.Context(), "console: shop profile saved", "session", q.ID)
	http.Redirect(w, r, "/admin/settings?done=saved", http.StatusSeeOther)
}
