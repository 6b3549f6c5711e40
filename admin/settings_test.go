package admin

import (
	"net/http"
	"net/url"
	"testing"
)

// TestSettings: the profile saved at once; a bad zone or currency is
// refused, shown again as typed, and changes nothing.
func TestSettings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.signIn("en")
	csrf := b.csrf()
	wantStatus(t, "page", b.get("/admin/settings"), http.StatusOK, `name="currency"`)
	form := url.Values{"csrf": {csrf}, "name": {"小红的小店"}, "langs": {"zh-CN", "ru"}, "default_lang": {"ru"},
		"welcome_zh-CN": {"欢迎光临！"}, "welcome_ru": {"Добро пожаловать!"}, "zone": {"Europe/Moscow"}, "region": {"ru"},
		"currency": {"cny"}, "hours": {"Пн-Пт 10:00-19:00"}}
	if w := b.post("/admin/settings", form); w.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	p, configured, err := e.setup.Profile(e.ctx)
	if err != nil || !configured || p.Name != "小红的小店" || p.DefaultLang != "ru" || len(p.Languages) != 2 || p.Welcome["ru"] != "Добро пожаловать!" ||
		p.Welcome["en"] != "" || p.TimeZone != "Europe/Moscow" || p.Region != "RU" || p.Currency != "CNY" || p.ContactHours != "Пн-Пт 10:00-19:00" {
		t.Fatalf("profile %+v, %v, %v", p, configured, err)
	}
	wantStatus(t, "saved", b.get("/admin/settings?done=saved"), http.StatusOK, tx("en", "console_settings_saved", nil), "小红的小店")
	wantStatus(t, "the shop's name heads the console", b.get("/admin"), http.StatusOK, `<a class="brand" href="/admin">小红的小店 <small>`)
	form.Set("zone", "Mars/Olympus")
	form.Set("name", "Another name")
	wantStatus(t, "bad zone", b.post("/admin/settings", form), http.StatusUnprocessableEntity, "Another name", "Mars/Olympus")
	form.Set("zone", "Europe/Moscow")
	form.Set("currency", "dollars please")
	wantStatus(t, "bad currency", b.post("/admin/settings", form), http.StatusUnprocessableEntity)
	if p2, _, _ := e.setup.Profile(e.ctx); p2.Name != "小红的小店" {
		t.Fatalf("a refused save changed the profile: %+v", p2)
	}
}
