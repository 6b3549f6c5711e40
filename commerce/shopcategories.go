package commerce

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// The seller's categories: created, renamed per language, ordered and
// hidden through ShopSetup (the chat, the command line and the console
// alike).

// MaxCategoryRunes bounds a category's title (it is a button).
const MaxCategoryRunes = 40

// CleanCategoryTitle checks and tidies a category title: 1–MaxCategoryRunes
// printable characters on one line. ErrInvalid otherwise.
func CleanCategoryTitle(s string) (string, error) {
	s, err := CleanTitle(s)
	if err != nil || len([]rune(s)) > MaxCategoryRunes {
		return "", fmt.Errorf("category title: %w", ErrInvalid)
	}
	return s, nil
}

// ValidSlug reports whether s is a category slug: 1–32 of a-z, 0-9, - and _.
func ValidSlug(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	})
}

// SlugOf makes a slug from a title: its Latin letters and digits, lower
// case, words joined by "-" ("Baby care" → "baby-care"); "" when the title
// has none (a Chinese or Russian title).
func SlugOf(title string) string {
	words := strings.FieldsFunc(strings.ToLower(title), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	s := strings.Join(words, "-")
	if len(s) > 32 {
		s = strings.TrimRight(s[:32], "-")
	}
	return s
}

// CategoryInput is a new category: its title in one language (detected
// from the text when Lang is empty) and optionally its slug (made from the
// title, else "c<n>").
type CategoryInput struct {
	Slug  string
	Lang  string
	Title string
}

// Categories returns every category in the sellers' order, hidden ones too.
func (s *ShopSetup) Categories(ctx context.Context) ([]Category, error) {
	return s.store.Categories(ctx)
}

// AddCategory creates a category after the others. ErrInvalid for a bad
// title, slug or language; ErrConflict when the slug is taken.
func (s *ShopSetup) AddCategory(ctx context.Context, in CategoryInput) (Category, error) {
	title, err := CleanCategoryTitle(in.Title)
	if err != nil {
		return Category{}, err
	}
	lang := in.Lang
	if lang == "" {
		lang = TextLanguage(title, "en")
	}
	if !slices.Contains(Languages, lang) {
		return Category{}, fmt.Errorf("category language %q: %w", lang, ErrInvalid)
	}
	slug := in.Slug
	explicit := slug != ""
	if slug == "" {
		slug = SlugOf(title)
	}
	for attempt := 0; ; attempt++ {
		if slug == "" || !explicit && attempt > 0 {
			n, err := s.store.Categories(ctx)
			if err != nil {
				return Category{}, err
			}
			slug = "c" + strconv.Itoa(len(n)+max(attempt, 1))
		}
		if !ValidSlug(slug) {
			return Category{}, fmt.Errorf("category slug %q: %w", slug, ErrInvalid)
		}
		c, err := s.store.CreateCategory(ctx, Category{Slug: slug, Title: Text{lang: title}})
		if errors.Is(err, ErrConflict) && !explicit && attempt < 5 {
			continue
		}
		return c, err
	}
}

// RenameCategory sets a category's title in lang ("" = the language the
// title is written in); the other languages stay. ErrInvalid, ErrNotFound.
func (s *ShopSetup) RenameCategory(ctx context.Context, id int64, lang, title string) (Category, error) {
	title, err := CleanCategoryTitle(title)
	if err != nil {
		return Category{}, err
	}
	if lang == "" {
		lang = TextLanguage(title, "en")
	}
	if !slices.Contains(Languages, lang) {
		return Category{}, fmt.Errorf("category language %q: %w", lang, ErrInvalid)
	}
	return s.store.UpdateCategory(ctx, id, func(c *Category) error {
		c.Title = withText(c.Title, lang, title)
		return nil
	})
}

// SetCategoryHidden hides a category from buyers (its products too) or
// shows it again. ErrNotFound.
func (s *ShopSetup) SetCategoryHidden(ctx context.Context, id int64, hidden bool) (Category, error) {
	return s.store.UpdateCategory(ctx, id, func(c *Category) error { c.Hidden = hidden; return nil })
}

// MoveCategory moves a category by delta places (-1 up, +1 down), stopping
// at either end, and returns the categories in their new order.
// ErrNotFound for an unknown category.
func (s *ShopSetup) MoveCategory(ctx context.Context, id int64, delta int) ([]Category, error) {
	for attempt := 0; ; attempt++ {
		cats, err := s.store.Categories(ctx)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(cats, func(c Category) bool { return c.ID == id })
		if i < 0 {
			return nil, fmt.Errorf("category %d: %w", id, ErrNotFound)
		}
		j := min(max(i+delta, 0), len(cats)-1)
		if i == j {
			return cats, nil
		}
		c := cats[i]
		cats = slices.Delete(cats, i, i+1)
		cats = slices.Insert(cats, j, c)
		ids := make([]int64, len(cats))
		for k, c := range cats {
			ids[k] = c.ID
		}
		err = s.store.SetCategoryOrder(ctx, ids)
		if errors.Is(err, ErrConflict) && attempt < 3 {
			continue // a category was added meanwhile
		}
		if err != nil {
			return nil, err
		}
		return s.store.Categories(ctx)
	}
}

// FindCategory finds a category by ID, slug or title in any language
// (case folded). ErrNotFound when none matches, ErrConflict when several do.
func (s *ShopSetup) FindCategory(ctx context.Context, ref string) (Category, error) {
	cats, err := s.store.Categories(ctx)
	if err != nil {
		return Category{}, err
	}
	ref = strings.TrimSpace(ref)
	id, _ := strconv.ParseInt(ref, 10, 64)
	var found []Category
	for _, c := range cats {
		match := c.ID == id || strings.EqualFold(c.Slug, ref)
		for _, t := range c.Title {
			match = match || strings.EqualFold(t, ref)
		}
		if match {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 0:
		return Category{}, fmt.Errorf("category %q: %w", ref, ErrNotFound)
	case 1:
		return found[0], nil
	}
	return Category{}, fmt.Errorf("category %q names %d categories: %w", ref, len(found), ErrConflict)
}

// TextLanguage guesses the language a text is written in from its script:
// Han (or kana) → zh-CN, Cyrillic → ru, Latin → en; the script with the
// most letters wins. fallback when the text has no letters.
func TextLanguage(s, fallback string) string {
	var han, cyr, lat int
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r):
			han += 3 // one Han character says about as much as a Latin word
		case unicode.Is(unicode.Cyrillic, r):
			cyr++
		case unicode.Is(unicode.Latin, r):
			lat++
		}
	}
	switch {
	case han == 0 && cyr == 0 && lat == 0:
		return fallback
	case han >= cyr && han >= lat:
		return "zh-CN"
	case cyr >= lat:
		return "ru"
	}
	return "en"
}
