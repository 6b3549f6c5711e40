package admin

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
)

// TestCategories: add one (its language told by the form), rename it in
// the other languages, move it up, hide and show it; a title too long is
// refused and changes nothing.
func TestCategories(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.signIn("ru")
	csrf := b.csrf()
	before, err := e.setup.Categories(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "page", b.get("/admin/categories"), http.StatusOK, before[0].Title["ru"])
	if w := b.post("/admin/categories", url.Values{"csrf": {csrf}, "title": {"Чай"}, "lang": {"ru"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("add: %d %s", w.Code, w.Body)
	}
	cats, _ := e.setup.Categories(e.ctx)
	if len(cats) != len(before)+1 || cats[len(cats)-1].Title["ru"] != "Чай" {
		t.Fatalf("categories after adding: %+v", cats)
	}
	tea := cats[len(cats)-1]
	path := "/admin/categories/" + strconv.FormatInt(tea.ID, 10)
	if w := b.post(path, url.Values{"csrf": {csrf}, "title_en": {"Tea"}, "title_zh-CN": {"茶叶"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("rename: %d %s", w.Code, w.Body)
	}
	if w := b.post(path+"/move", url.Values{"csrf": {csrf}, "delta": {"-1"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("move: %d", w.Code)
	}
	if w := b.post(path+"/hidden", url.Values{"csrf": {csrf}, "hidden": {"1"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("hide: %d", w.Code)
	}
	cats, _ = e.setup.Categories(e.ctx)
	got := cats[len(cats)-2]
	if got.ID != tea.ID || got.Title["en"] != "Tea" || got.Title["zh-CN"] != "茶叶" || got.Title["ru"] != "Чай" || !got.Hidden {
		t.Fatalf("after rename, move and hide: %+v", cats)
	}
	wantStatus(t, "too long", b.post("/admin/categories", url.Values{"csrf": {csrf}, "title": {string(make([]rune, 41)) + "x"}}),
		http.StatusUnprocessableEntity)
	wantStatus(t, "without the token", b.post(path+"/hidden", url.Values{"hidden": {"0"}}), http.StatusForbidden)
	if cats2, _ := e.setup.Categories(e.ctx); len(cats2) != len(cats) || !cats2[len(cats2)-2].Hidden {
		t.Fatalf("a refused change changed the categories: %+v", cats2)
	}
}
