package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v3"

	"shopbot/commerce"
	"shopbot/internal/cmdline"
)

const productDescription = `Origins: bonded, direct_mail, duty_paid, local_stock. Titles and descriptions are
written in --lang (default: the language they are written in: Han zh-CN, Cyrillic ru, Latin en);
other languages stay as they are, so --title in another language adds that language.`

// productCommand is "shopbot product …": the seller's catalog operations
// for scripts. Every value is checked before the database is opened; bad
// input exits 2 and changes nothing.
func (e *cliEnv) productCommand() *cli.Command {
	title := func(required bool) cli.Flag {
		return &cli.StringFlag{Name: "title", Required: required, Usage: "the product's `TITLE` in --lang"}
	}
	price := func(required bool) cli.Flag {
		return &cli.StringFlag{Name: "price", Required: required, Usage: "the `PRICE`, e.g. 129.00"}
	}
	stock := func(required bool) cli.Flag {
		usage := "`N` units in stock"
		if !required {
			usage = "`N` sets the stock, +N adds N units, -N takes N away (never below 0)"
		}
		return &cli.StringFlag{Name: "stock", Required: required, Usage: usage}
	}
	desc := func() cli.Flag {
		return &cli.StringFlag{Name: "description", Usage: "the product's `DESCRIPTION` in --lang"}
	}
	lang := func() cli.Flag {
		return &cli.StringFlag{Name: "lang", Usage: "the language (`LANG`) of --title and --description: en, zh-CN or ru (default: the language the title is written in)"}
	}
	ref := "ID|SKU"
	return &cli.Command{
		Name:        "product",
		Usage:       "the seller's catalog: add (with a picture), edit, hide, unhide, show, list",
		Description: productDescription,
		Commands: []*cli.Command{
			{Name: "add", Usage: "add a product", Description: productDescription,
				Flags: []cli.Flag{title(true), price(true), stock(true),
					&cli.StringFlag{Name: "origin", Required: true, Usage: "where it ships from (`ORIGIN`): bonded, direct_mail, duty_paid or local_stock"},
					&cli.StringFlag{Name: "category", Required: true, Usage: "the category's `ID|SLUG|NAME`"},
					desc(),
					&cli.StringFlag{Name: "image", Usage: "a picture, `FILE`.jpg or .png"},
					lang(),
					&cli.StringFlag{Name: "sku", Usage: "the product's `SKU` (default: made up)"},
				},
				Action: e.productAdd},
			{Name: "edit", Usage: "change a product's price, stock, title or description", ArgsUsage: ref,
				Description: productDescription,
				Flags:       []cli.Flag{price(false), stock(false), title(false), desc(), lang()},
				Action:      e.productEdit},
			{Name: "hide", Usage: "hide products from buyers (one or more)", ArgsUsage: ref + " [" + ref + "…]", Action: e.productSetActive},
			{Name: "unhide", Usage: "show hidden products to buyers again (one or more)", ArgsUsage: ref + " [" + ref + "…]", Action: e.productSetActive},
			{Name: "show", Usage: "print a product: every field in every language", ArgsUsage: ref, Action: e.productShow},
			{Name: "list", Usage: "the catalog",
				Flags:  []cli.Flag{&cli.BoolFlag{Name: "all", Usage: "include hidden products"}},
				Action: e.productList},
		},
	}
}

// productInput is the checked values of the flags given.
type productInput struct {
	title, desc, lang string
	price             commerce.Money
	stock             int
	stockDelta        bool // --stock +N or -N: stock is the change
	origin            commerce.Origin
	image             []byte
}

// readProductInput checks every value given before anything is opened.
func readProductInput(cmd *cli.Command) (productInput, error) {
	in := productInput{lang: cmd.String("lang")}
	if in.lang == "" {
		// A text goes under the language it is written in (Han → zh-CN,
		// Cyrillic → ru, Latin → en).
		in.lang = commerce.TextLanguage(cmd.String("title")+" "+cmd.String("description"), "en")
	}
	if !slices.Contains(commerce.Languages, in.lang) {
		return in, cmdline.Usagef("--lang %q: want one of %s", in.lang, strings.Join(commerce.Languages, ", "))
	}
	var err error
	if cmd.IsSet("title") {
		if in.title, err = commerce.CleanTitle(cmd.String("title")); err != nil {
			return in, cmdline.Usagef("--title: 1 to %d characters on one line", commerce.MaxTitleRunes)
		}
	}
	if cmd.IsSet("description") {
		if in.desc, err = commerce.CleanDescription(cmd.String("description")); err != nil {
			return in, cmdline.Usagef("--description: at most %d characters", commerce.MaxDescriptionRunes)
		}
	}
	if cmd.IsSet("price") {
		price := cmd.String("price")
		// A bare amount is in the shop's currency, known once the app is
		// open (shopPrice); a named one must be that currency.
		m, ok := commerce.ParseAmount(price, "")
		if !ok {
			return in, cmdline.Usagef("--price %q: a positive amount such as 129.00", price)
		}
		in.price = m
	}
	if cmd.IsSet("stock") {
		if in.stock, in.stockDelta, err = parseStockFlag(cmd.String("stock")); err != nil {
			return in, err
		}
	}
	if cmd.IsSet("origin") {
		origin := cmd.String("origin")
		if in.origin, err = commerce.ParseOrigin(origin); err != nil {
			o, ok := commerce.OriginTag(strings.TrimPrefix(origin, "#"))
			if !ok {
				return in, cmdline.Usagef("--origin %q: bonded, direct_mail, duty_paid or local_stock", origin)
			}
			in.origin = o
		}
	}
	if cmd.IsSet("image") {
		path := cmd.String("image")
		f, err := os.Open(path)
		if err != nil {
			return in, cmdline.Usagef("--image: %v", err)
		}
		in.image, err = io.ReadAll(io.LimitReader(f, commerce.MaxImageBytes+1))
		f.Close()
		if err != nil {
			return in, cmdline.Usagef("--image: %v", err)
		}
		if _, err := commerce.NormalizeImage(in.image); err != nil {
			return in, cmdline.Usagef("--image %s: %s", path, imageProblem(err))
		}
	}
	return in, nil
}

func (e *cliEnv) productAdd(ctx context.Context, cmd *cli.Command) error {
	if err := noArgs(cmd); err != nil {
		return err
	}
	in, err := readProductInput(cmd)
	if err != nil {
		return err
	}
	if in.stockDelta {
		return cmdline.Usagef("--stock %q: a new product's stock is a whole number from 0 to %d", cmd.String("stock"), commerce.MaxStock)
	}
	sku, category := cmd.String("sku"), cmd.String("category")
	if cmd.IsSet("sku") && (strings.TrimSpace(sku) == "" || len(sku) > 64 || strings.ContainsFunc(sku, func(r rune) bool { return r <= ' ' })) {
		return cmdline.Usagef("--sku %q: 1 to 64 characters without spaces", sku)
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		if err := shopPrice(ctx, a, &in.price); err != nil {
			return err
		}
		cat, err := findCategory(ctx, a, category)
		if err != nil {
			return err
		}
		np := commerce.NewProduct{SKU: sku, Nonce: commerce.NewListingNonce(), Lang: in.lang, Title: in.title,
			Description: in.desc, Price: in.price, Stock: in.stock, Origin: in.origin, CategoryID: cat.ID}
		if _, err := a.seller.Product(ctx, np); err != nil {
			return cmdline.Usagef("%v", err)
		}
		if np.SKU != "" {
			if p, err := a.Store.ProductBySKU(ctx, np.SKU); err == nil {
				return cmdline.Usagef("SKU %s is product %d already; change it with shopbot product edit", p.SKU, p.ID)
			}
		}
		if in.image != nil {
			if np.Image, err = a.seller.SaveImage(ctx, in.image); err != nil {
				return err
			}
		}
		p, _, err := a.seller.Publish(ctx, np)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "added product %d (SKU %s): %s\n", p.ID, p.SKU, describe(p, in.lang))
		return nil
	})
}

func (e *cliEnv) productEdit(ctx context.Context, cmd *cli.Command) error {
	target, err := oneArg(cmd, "the product's ID or SKU")
	if err != nil {
		return err
	}
	in, err := readProductInput(cmd)
	if err != nil {
		return err
	}
	set := cmd.IsSet
	if !set("price") && !set("stock") && !set("title") && !set("description") {
		return cmdline.Usagef("product edit needs at least one of --price, --stock, --title, --description")
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		p, err := findProduct(ctx, a, target)
		if err != nil {
			return err
		}
		if set("price") {
			if err := shopPrice(ctx, a, &in.price); err != nil {
				return err
			}
		}
		if set("price") && p.Price.Currency != in.price.Currency {
			return cmdline.Usagef("--price: product %d sells in %s", p.ID, p.Price.Currency)
		}
		if set("title") || set("description") || set("price") {
			ch := commerce.ProductChange{Lang: in.lang}
			if set("title") {
				ch.Title = &in.title
			}
			if set("description") {
				ch.Description = &in.desc
			}
			if set("price") {
				ch.Price = &in.price
			}
			if p, err = a.seller.Change(ctx, p.ID, ch); err != nil {
				return err
			}
		}
		if set("stock") {
			if p, err = e.editStock(ctx, a, p, in); err != nil {
				return err
			}
		}
		fmt.Fprintf(e.stdout, "product %d (SKU %s): %s\n", p.ID, p.SKU, describe(p, in.lang))
		return nil
	})
}

// editStock applies --stock: +N adds, -N takes away (refused below zero),
// N sets. Setting is applied as the difference to the stock just read, so a
// sale in between is not undone (commerce.Seller.SetStock).
func (e *cliEnv) editStock(ctx context.Context, a *App, p commerce.Product, in productInput) (commerce.Product, error) {
	if in.stockDelta {
		after, err := a.seller.AddStock(ctx, p.ID, in.stock)
		switch {
		case errors.Is(err, commerce.ErrSoldOut):
			return p, fmt.Errorf("--stock %+d: product %d has only %d in stock; the stock cannot go below 0, nothing changed",
				in.stock, p.ID, after.Stock)
		case errors.Is(err, commerce.ErrInvalid):
			return p, fmt.Errorf("--stock %+d: the stock would pass %d, nothing changed", in.stock, commerce.MaxStock)
		}
		return after, err
	}
	after, err := a.seller.SetStock(ctx, p.ID, p.Stock, in.stock)
	if err != nil {
		return p, fmt.Errorf("stock: sales meanwhile left too little to set %d, try again: %w", in.stock, err)
	}
	if after.Stock != in.stock {
		fmt.Fprintf(e.stdout, "note: orders changed the stock meanwhile; it is %d\n", after.Stock)
	}
	return after, nil
}

// parseStockFlag reads --stock: "5" sets, "+5" adds, "-2" takes away.
func parseStockFlag(s string) (n int, delta bool, err error) {
	t := strings.TrimSpace(s)
	sign := 1
	switch {
	case strings.HasPrefix(t, "+"):
		delta, t = true, t[1:]
	case strings.HasPrefix(t, "-"):
		delta, sign, t = true, -1, t[1:]
	case strings.HasPrefix(t, "−"):
		delta, sign, t = true, -1, strings.TrimPrefix(t, "−")
	}
	n, aerr := strconv.Atoi(t)
	if aerr != nil || t == "" || t[0] < '0' || t[0] > '9' || commerce.CheckStock(n) != nil || (delta && n == 0) {
		return 0, false, cmdline.Usagef("--stock %q: a whole number from 0 to %d sets the stock, +N adds, -N takes away", s, commerce.MaxStock)
	}
	return sign * n, delta, nil
}

// productSetActive is "product hide" and "product unhide" of one or more
// products by ID or SKU. Every reference is looked up first; the ones found
// are changed, each reported on its own line, and the ones not found are
// named: exit 3 when some were not found, 1 when none was.
func (e *cliEnv) productSetActive(ctx context.Context, cmd *cli.Command) error {
	refs := cmd.Args().Slice()
	if len(refs) == 0 {
		return cmdline.Usagef("missing the product's ID or SKU")
	}
	active := cmd.Name == "unhide"
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		var found []commerce.Product
		var missing []string
		seen := map[int64]bool{}
		for _, ref := range refs {
			p, err := findProduct(ctx, a, ref)
			switch {
			case err == nil && seen[p.ID]:
				continue
			case err == nil:
				seen[p.ID] = true
				found = append(found, p)
			case errors.Is(err, errNoProduct):
				missing = append(missing, ref)
				fmt.Fprintf(e.stdout, "%s: no such product, skipped\n", ref)
			default:
				return err
			}
		}
		if len(found) == 0 {
			return fmt.Errorf("no product with ID or SKU %s (see shopbot product list --all)", strings.Join(quoteAll(missing), ", "))
		}
		for _, f := range found {
			p, err := a.seller.SetActive(ctx, f.ID, active)
			if err != nil {
				return fmt.Errorf("product %d: %w (the products printed above are changed)", f.ID, err)
			}
			fmt.Fprintf(e.stdout, "product %d (SKU %s): %s\n", p.ID, p.SKU, describe(p, "en"))
		}
		if len(missing) > 0 {
			return cmdline.NotDonef("%d of %d changed; no product with ID or SKU %s (see shopbot product list --all)",
				len(found), len(found)+len(missing), strings.Join(quoteAll(missing), ", "))
		}
		return nil
	})
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strconv.Quote(s)
	}
	return out
}

// productShow is "product show ID|SKU": the product as stored, read only.
func (e *cliEnv) productShow(ctx context.Context, cmd *cli.Command) error {
	target, err := oneArg(cmd, "the product's ID or SKU")
	if err != nil {
		return err
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		p, err := findProduct(ctx, a, target)
		if err != nil {
			return err
		}
		state := "visible"
		if !p.Active {
			state = "hidden (shopbot product unhide " + strconv.FormatInt(p.ID, 10) + " shows it again)"
		}
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(w, "product\t%d\nSKU\t%s\nstate\t%s\nprice\t%s\nstock\t%d\norigin\t%s\ncategory\t%d\n",
			p.ID, p.SKU, state, p.Price, p.Stock, p.Origin, p.CategoryID)
		for _, lang := range commerce.Languages {
			if t := p.Title[lang]; t != "" {
				fmt.Fprintf(w, "title %s\t%s\n", lang, t)
			}
		}
		for _, lang := range commerce.Languages {
			if d := p.Description[lang]; d != "" {
				fmt.Fprintf(w, "description %s\t%s\n", lang, strings.ReplaceAll(d, "\n", " "))
			}
		}
		if p.Image != "" {
			fmt.Fprintf(w, "image\t%s\n", p.Image)
		}
		return w.Flush()
	})
}

func (e *cliEnv) productList(ctx context.Context, cmd *cli.Command) error {
	if err := noArgs(cmd); err != nil {
		return err
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error { return listProducts(ctx, a, cmd.Bool("all"), e.stdout) })
}

// shopPrice puts a price given without a currency into the shop's, and
// refuses one in another currency (a usage error: nothing done).
func shopPrice(ctx context.Context, a *App, m *commerce.Money) error {
	if m.Currency == "" {
		cur := a.setup.Currency(ctx)
		amount, err := commerce.ParseMoney(strings.TrimSuffix(strings.TrimRight(m.Decimal(), "0"), "."), cur)
		if err != nil {
			return cmdline.Usagef("--price %s: %s has %d decimal places", m.Decimal(), cur, commerce.MinorDigits(cur))
		}
		*m = amount
	}
	if err := a.seller.CheckPrice(ctx, *m); err != nil {
		return cmdline.Usagef("--price %s %s: the shop sells in %s; every price is in the shop's currency", m.Decimal(), m.Currency, a.setup.Currency(ctx))
	}
	return nil
}

func imageProblem(err error) string {
	if errors.Is(err, commerce.ErrImageTooLarge) {
		return fmt.Sprintf("too large (at most %d MiB and %d megapixels)", commerce.MaxImageBytes>>20, commerce.MaxImagePixels/1_000_000)
	}
	return "not a readable JPEG or PNG"
}

// findProduct reads a product by ID or SKU.
func findProduct(ctx context.Context, a *App, ref string) (commerce.Product, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
		if p, err := a.Store.Product(ctx, id); err == nil {
			return p, nil
		} else if !errors.Is(err, commerce.ErrNotFound) {
			return p, err
		}
	}
	p, err := a.Store.ProductBySKU(ctx, ref)
	if errors.Is(err, commerce.ErrNotFound) {
		return p, fmt.Errorf("%w %q (see shopbot product list --all)", errNoProduct, ref)
	}
	return p, err
}

// errNoProduct: no product has the ID or SKU given.
var errNoProduct = errors.New("no product with ID or SKU")

// findCategory reads a category by ID, slug or title in any language.
func findCategory(ctx context.Context, a *App, ref string) (commerce.Category, error) {
	cats, err := a.Store.Categories(ctx)
	if err != nil {
		return commerce.Category{}, err
	}
	id, _ := strconv.ParseInt(ref, 10, 64)
	var found []commerce.Category
	for _, c := range cats {
		match := c.ID == id || strings.EqualFold(c.Slug, ref)
		for _, t := range c.Title {
			match = match || strings.EqualFold(t, strings.TrimSpace(ref))
		}
		if match {
			found = append(found, c)
		}
	}
	if len(found) == 1 {
		return found[0], nil
	}
	if len(cats) == 0 {
		return commerce.Category{}, cmdline.Usagef("there are no categories yet: add one with shopbot categories add TITLE (or load some with shopbot catalog import)")
	}
	var known []string
	for _, c := range cats {
		known = append(known, fmt.Sprintf("%d %s", c.ID, c.Slug))
	}
	return commerce.Category{}, cmdline.Usagef("--category %q names %d categories; known: %s", ref, len(found), strings.Join(known, ", "))
}

func describe(p commerce.Product, lang string) string {
	state := "visible"
	if !p.Active {
		state = "hidden"
	}
	return fmt.Sprintf("%s · %s · %d in stock · %s · %s", p.Title.In(lang), p.Price, p.Stock, p.Origin, state)
}

func listProducts(ctx context.Context, a *App, all bool, out io.Writer) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSKU\tPRICE\tSTOCK\tORIGIN\tSTATE\tTITLE")
	for offset := 0; ; offset += 500 {
		list, err := a.Store.Products(ctx, commerce.ProductFilter{WithHidden: all, Offset: offset, Limit: 500})
		if err != nil {
			return err
		}
		for _, p := range list {
			state := "visible"
			if !p.Active {
				state = "hidden"
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%s\t%s\t%s\n", p.ID, p.SKU, p.Price, p.Stock, p.Origin, state, p.Title.In("en"))
		}
		if len(list) < 500 {
			break
		}
	}
	return w.Flush()
}
