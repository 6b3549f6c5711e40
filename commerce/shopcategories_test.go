package commerce

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
)

// memSetup is an in-memory ShopSetupStore of categories and a profile;
// the rest of the interface is left nil (unused here).
type memSetup struct {
	ShopSetupStore
	mu      sync.Mutex
	cats    []Category
	profile *ShopProfile
	nextID  int64
}

func (m *memSetup) Categories(context.Context) ([]Category, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := slices.Clone(m.cats)
	slices.SortStableFunc(out, func(a, b Category) int { return a.Sort - b.Sort })
	return out, nil
}

func (m *memSetup) CreateCategory(_ context.Context, c Category) (Category, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.cats {
		if o.Slug == c.Slug {
			return Category{}, ErrConflict
		}
	}
	m.nextID++
	c.ID, c.Sort = m.nextID, len(m.cats)+1
	m.cats = append(m.cats, c)
	return c, nil
}

func (m *memSetup) UpdateCategory(_ context.Context, id int64, edit func(*Category) error) (Category, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, c := range m.cats {
		if c.ID == id {
			if err := edit(&c); err != nil {
				return Category{}, err
			}
			m.cats[i].Title, m.cats[i].Hidden = c.Title, c.Hidden
			return m.cats[i], nil
		}
	}
	return Category{}, ErrNotFound
}

func (m *memSetup) SetCategoryOrder(_ context.Context, ids []int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, id := range ids {
		for k := range m.cats {
			if m.cats[k].ID == id {
				m.cats[k].Sort = i + 1
			}
		}
	}
	return nil
}

func (m *memSetup) ShopProfile(context.Context) (ShopProfile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.profile == nil {
		return ShopProfile{}, ErrNotFound
	}
	return *m.profile, nil
}

func (m *memSetup) UpdateShopProfile(_ context.Context, edit func(*ShopProfile) error) (ShopProfile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := ShopProfile{}
	if m.profile != nil {
		p = *m.profile
	}
	if err := edit(&p); err != nil {
		return ShopProfile{}, err
	}
	m.profile = &p
	return p, nil
}

func titles(cats []Category, lang string) []string {
	var out []string
	for _, c := range cats {
		out = append(out, c.Title.In(lang))
	}
	return out
}

func TestShopSetupCategories(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := NewShopSetup(ShopSetupOptions{Store: &memSetup{}})
	adds := []struct {
		in       CategoryInput
		wantSlug string
		wantLang string
		wantErr  error
	}{
		{CategoryInput{Title: "Baby care"}, "baby-care", "en", nil},
		{CategoryInput{Title: "面霜"}, "c2", "zh-CN", nil},
		{CategoryInput{Title: "Сладости"}, "c3", "ru", nil},
		{CategoryInput{Title: "Baby care!"}, "c4", "en", nil}, // the made slug is taken: another one
		{CategoryInput{Title: "Tea", Slug: "baby-care"}, "", "", ErrConflict},
		{CategoryInput{Title: "Tea", Slug: "Bad Slug"}, "", "", ErrInvalid},
		{CategoryInput{Title: "  "}, "", "", ErrInvalid},
		{CategoryInput{Title: "Tea", Lang: "de"}, "", "", ErrInvalid},
	}
	for _, a := range adds {
		c, err := s.AddCategory(ctx, a.in)
		if a.wantErr != nil {
			if !errors.Is(err, a.wantErr) {
				t.Errorf("AddCategory(%+v) = %v, want %v", a.in, err, a.wantErr)
			}
			continue
		}
		if err != nil || c.Slug != a.wantSlug || c.Title[a.wantLang] == "" {
			t.Errorf("AddCategory(%+v) = %+v, %v; want slug %s in %s", a.in, c, err, a.wantSlug, a.wantLang)
		}
	}
	cats, _ := s.Categories(ctx)
	if _, err := s.RenameCategory(ctx, cats[0].ID, "", "婴儿护理"); err != nil {
		t.Fatal(err)
	}
	moves := []struct {
		ref   int // index into cats as created
		delta int
		want  []string
	}{
		{1, -1, []string{"面霜", "Baby care", "Сладости", "Baby care!"}},
		{1, -5, []string{"面霜", "Baby care", "Сладости", "Baby care!"}}, // at the top already
		{0, +2, []string{"面霜", "Сладости", "Baby care!", "Baby care"}},
	}
	for _, m := range moves {
		got, err := s.MoveCategory(ctx, cats[m.ref].ID, m.delta)
		if err != nil || !slices.Equal(titles(got, "en"), m.want) {
			t.Errorf("MoveCategory(%d, %d) = %v, %v; want %v", m.ref, m.delta, titles(got, "en"), err, m.want)
		}
	}
	if got, _ := s.FindCategory(ctx, "婴儿护理"); got.ID != cats[0].ID {
		t.Errorf("FindCategory(Chinese title) = %+v", got)
	}
	if _, err := s.FindCategory(ctx, "nothing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("FindCategory(unknown) = %v", err)
	}
	if c, err := s.SetCategoryHidden(ctx, cats[2].ID, true); err != nil || !c.Hidden {
		t.Errorf("SetCategoryHidden = %+v, %v", c, err)
	}
	if _, err := s.MoveCategory(ctx, 999, 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("MoveCategory(unknown) = %v", err)
	}
}

func TestTextLanguage(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Hyaluronic serum 30 ml", "en"}, {"保湿面霜 50ml", "zh-CN"}, {"Сыворотка 30 мл", "ru"},
		{"兰蔻小黑瓶精华 Lancome Genifique", "zh-CN"}, {"COSRX snail essence 蜗牛", "en"}, {"129 ¥ 20", "en"},
		{"Крем для рук Nivea", "ru"},
	}
	for _, tc := range tests {
		if got := TextLanguage(tc.in, "en"); got != tc.want {
			t.Errorf("TextLanguage(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestShopSetupProfile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := &memSetup{}
	s := NewShopSetup(ShopSetupOptions{Store: st, Defaults: DefaultProfile("RU", "Europe/Moscow")})
	p, configured, err := s.Profile(ctx)
	if err != nil || configured || p.Currency != "CNY" || p.Region != "RU" || p.TimeZone != "Europe/Moscow" {
		t.Fatalf("Profile of a shop not set up = %+v, %v, %v", p, configured, err)
	}
	steps := []struct {
		name string
		do   func() (ShopProfile, error)
		ok   bool
	}{
		{"name", func() (ShopProfile, error) { return s.SetName(ctx, "  Global   Picks ") }, true},
		{"empty name", func() (ShopProfile, error) { return s.SetName(ctx, "") }, false},
		{"currency", func() (ShopProfile, error) { return s.SetCurrency(ctx, "₽") }, true},
		{"bad currency", func() (ShopProfile, error) { return s.SetCurrency(ctx, "rubles") }, false},
		{"languages", func() (ShopProfile, error) { return s.SetLanguages(ctx, []string{"ru", "en"}, "") }, true},
		{"default not offered", func() (ShopProfile, error) { return s.SetLanguages(ctx, []string{"ru"}, "en") }, false},
		{"zone", func() (ShopProfile, error) { return s.SetTimeZone(ctx, "Asia/Almaty") }, true},
		{"bad zone", func() (ShopProfile, error) { return s.SetTimeZone(ctx, "Asia/Nowhere") }, false},
		{"region", func() (ShopProfile, error) { return s.SetRegion(ctx, "kz") }, true},
		{"contact hours", func() (ShopProfile, error) { return s.SetContactHours(ctx, "10:00–19:00") }, true},
		{"welcome", func() (ShopProfile, error) { return s.SetWelcome(ctx, "ru", "Добро пожаловать!") }, true},
		{"welcome in German", func() (ShopProfile, error) { return s.SetWelcome(ctx, "de", "Hallo") }, false},
	}
	for _, st := range steps {
		_, err := st.do()
		if st.ok && err != nil || !st.ok && !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ok=%v", st.name, err, st.ok)
		}
	}
	p, configured, _ = s.Profile(ctx)
	want := ShopProfile{Name: "Global Picks", Currency: "RUB", Languages: []string{"ru", "en"}, DefaultLang: "ru",
		TimeZone: "Asia/Almaty", Region: "KZ", ContactHours: "10:00–19:00", Welcome: Text{"ru": "Добро пожаловать!"}}
	if !configured || p.Name != want.Name || p.Currency != want.Currency || !slices.Equal(p.Languages, want.Languages) ||
		p.DefaultLang != want.DefaultLang || p.TimeZone != want.TimeZone || p.Region != want.Region ||
		p.ContactHours != want.ContactHours || p.WelcomeIn("en") != "Добро пожаловать!" {
		t.Errorf("Profile = %+v (configured %v)\nwant %+v", p, configured, want)
	}
	if s.Cached().Region != "KZ" || s.Currency(ctx) != "RUB" {
		t.Errorf("Cached = %+v", s.Cached())
	}
	if err := s.CheckCurrency(ctx, CNY(100)); !errors.Is(err, ErrCurrencyMismatch) {
		t.Errorf("CheckCurrency(CNY) in a RUB shop = %v", err)
	}
}

func TestCaptionLang(t *testing.T) {
	t.Parallel()
	for caption, want := range map[string]string{
		"保湿面霜 50ml ¥129 x20 #完税":        "zh-CN",
		"Сыворотка 30 мл\n990₽ · 20 шт": "ru",
		"Hyaluronic serum ¥129 x20":     "en",
		"¥129 x20":                      "",
	} {
		if got := ParseCaption(caption, "CNY").Lang(); got != want {
			t.Errorf("ParseCaption(%q).Lang = %q, want %q", caption, got, want)
		}
	}
}
