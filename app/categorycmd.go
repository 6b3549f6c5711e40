package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v3"

	"shopbot/commerce"
	"shopbot/internal/cmdline"
)

// categoriesCommand is "shopbot categories list|add|rename|move|hide|unhide":
// the seller's categories (commerce.ShopSetup), as in the chat's /categories.
func (e *cliEnv) categoriesCommand() *cli.Command {
	lang := &cli.StringFlag{Name: "lang", Usage: "the `LANG` of the title: en, zh-CN or ru (default: the language it is written in)"}
	ref := "ID|SLUG|TITLE"
	return &cli.Command{
		Name:  "categories",
		Usage: "the catalog's categories: list, add, rename, move, hide, unhide",
		Commands: []*cli.Command{
			{Name: "list", Usage: "every category in the buyers' order, hidden ones too", Action: e.categoriesList},
			{Name: "add", Usage: "add a category after the others", ArgsUsage: "TITLE",
				Flags:  []cli.Flag{lang, &cli.StringFlag{Name: "slug", Usage: "its `SLUG` for catalog files (a-z 0-9 - _; default: made from the title)"}},
				Action: e.categoriesAdd},
			{Name: "rename", Usage: "set a category's title in one language; the others stay", ArgsUsage: ref + " TITLE",
				Flags: []cli.Flag{lang}, Action: e.categoriesRename},
			{Name: "move", Usage: "move a category up or down in the buyers' list", ArgsUsage: ref + " up|down|top|bottom",
				Action: e.categoriesMove},
			{Name: "hide", Usage: "hide a category (and its products) from buyers", ArgsUsage: ref, Action: e.categoriesHide},
			{Name: "unhide", Usage: "show a hidden category to buyers again", ArgsUsage: ref, Action: e.categoriesHide},
		},
	}
}

// categoryLang reads --lang ("" when not given).
func categoryLang(cmd *cli.Command) (string, error) {
	l := cmd.String("lang")
	if l != "" && !slices.Contains(commerce.Languages, l) {
		return "", cmdline.Usagef("--lang %q: want one of %s", l, strings.Join(commerce.Languages, ", "))
	}
	return l, nil
}

// setupError turns a refusal of the shop setup into a usage error (nothing
// was done); other errors stay failures.
func setupError(what string, err error) error {
	switch {
	case errors.Is(err, commerce.ErrInvalid):
		return cmdline.Usagef("%s: %v", what, err)
	case errors.Is(err, commerce.ErrNotFound):
		return cmdline.Usagef("%s: not found (see shopbot categories list)", what)
	case errors.Is(err, commerce.ErrConflict):
		return cmdline.Usagef("%s: %v", what, err)
	}
	return err
}

func (e *cliEnv) categoriesList(ctx context.Context, cmd *cli.Command) error {
	if err := noArgs(cmd); err != nil {
		return err
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		cats, err := a.setup.Categories(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tSLUG\tSTATE\tTITLES")
		for _, c := range cats {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", c.ID, c.Slug, categoryState(c), categoryTitles(c))
		}
		return w.Flush()
	})
}

func categoryState(c commerce.Category) string {
	if c.Hidden {
		return "hidden"
	}
	return "visible"
}

// categoryTitles is "en: Snacks · zh-CN: 零食" in the languages' order.
func categoryTitles(c commerce.Category) string {
	var parts []string
	for _, l := range commerce.Languages {
		if t := c.Title[l]; t != "" {
			parts = append(parts, l+": "+t)
		}
	}
	return strings.Join(parts, " · ")
}

func (e *cliEnv) categoriesAdd(ctx context.Context, cmd *cli.Command) error {
	title, err := oneArg(cmd, "TITLE")
	if err != nil {
		return err
	}
	lang, err := categoryLang(cmd)
	if err != nil {
		return err
	}
	if _, err := commerce.CleanCategoryTitle(title); err != nil {
		return cmdline.Usagef("TITLE: 1 to %d characters on one line", commerce.MaxCategoryRunes)
	}
	if s := cmd.String("slug"); s != "" && !commerce.ValidSlug(s) {
		return cmdline.Usagef("--slug %q: 1 to 32 of a-z, 0-9, - and _", s)
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		c, err := a.setup.AddCategory(ctx, commerce.CategoryInput{Slug: cmd.String("slug"), Lang: lang, Title: title})
		if err != nil {
			return setupError("add category", err)
		}
		fmt.Fprintf(e.stdout, "added category %d (%s): %s\n", c.ID, c.Slug, categoryTitles(c))
		return nil
	})
}

// twoArgs reads REF and one more argument.
func twoArgs(cmd *cli.Command, second string) (string, string, error) {
	args := cmd.Args().Slice()
	switch {
	case len(args) == 0:
		return "", "", cmdline.Usagef("missing the category (ID, slug or title)")
	case len(args) == 1:
		return "", "", cmdline.Usagef("missing %s", second)
	case len(args) > 2:
		return "", "", cmdline.Usagef("unexpected argument %q (quote a title with spaces)", args[2])
	}
	return args[0], args[1], nil
}

func (e *cliEnv) categoriesRename(ctx context.Context, cmd *cli.Command) error {
	ref, title, err := twoArgs(cmd, "TITLE")
	if err != nil {
		return err
	}
	lang, err := categoryLang(cmd)
	if err != nil {
		return err
	}
	if _, err := commerce.CleanCategoryTitle(title); err != nil {
		return cmdline.Usagef("TITLE: 1 to %d characters on one line", commerce.MaxCategoryRunes)
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		c, err := a.setup.FindCategory(ctx, ref)
		if err != nil {
			return setupError(fmt.Sprintf("category %q", ref), err)
		}
		if c, err = a.setup.RenameCategory(ctx, c.ID, lang, title); err != nil {
			return setupError("rename category", err)
		}
		fmt.Fprintf(e.stdout, "category %d (%s): %s\n", c.ID, c.Slug, categoryTitles(c))
		return nil
	})
}

func (e *cliEnv) categoriesMove(ctx context.Context, cmd *cli.Command) error {
	ref, where, err := twoArgs(cmd, "up, down, top or bottom")
	if err != nil {
		return err
	}
	delta, ok := map[string]int{"up": -1, "down": 1, "top": -1 << 20, "bottom": 1 << 20}[strings.ToLower(where)]
	if !ok {
		return cmdline.Usagef("%q: want up, down, top or bottom", where)
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		c, err := a.setup.FindCategory(ctx, ref)
		if err != nil {
			return setupError(fmt.Sprintf("category %q", ref), err)
		}
		cats, err := a.setup.MoveCategory(ctx, c.ID, delta)
		if err != nil {
			return setupError("move category", err)
		}
		for i, c := range cats {
			fmt.Fprintf(e.stdout, "%d. %s (%d, %s)\n", i+1, c.Title.In("en"), c.ID, categoryState(c))
		}
		return nil
	})
}

// categoriesHide is "categories hide" and "categories unhide".
func (e *cliEnv) categoriesHide(ctx context.Context, cmd *cli.Command) error {
	ref, err := oneArg(cmd, "the category (ID, slug or title)")
	if err != nil {
		return err
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		c, err := a.setup.FindCategory(ctx, ref)
		if err != nil {
			return setupError(fmt.Sprintf("category %q", ref), err)
		}
		if c, err = a.setup.SetCategoryHidden(ctx, c.ID, cmd.Name == "hide"); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "category %d (%s): %s\n", c.ID, c.Slug, categoryState(c))
		return nil
	})
}
