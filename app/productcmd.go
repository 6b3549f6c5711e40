package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"shopbot/commerce"
)

const productUsage = `usage:
  shopbot product add  --title T --price 129.00 --stock 20 --origin duty_paid --category ID|SLUG|NAME
                       [--description D] [--image FILE.jpg|png] [--lang en|zh-CN|ru] [--sku SKU]
  shopbot product edit ID|SKU [--price P] [--stock N] [--title T] [--description D] [--lang L]
  shopbot product hide ID|SKU
  shopbot product show ID|SKU
  shopbot product list [--all]

Origins: bonded, direct_mail, duty_paid, local_stock. Titles and descriptions are
written in --lang (default en); other languages stay as they are.`

// usageError is bad input on the command line: exit code 2, nothing changed.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func badProductInput(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...) + "\n\n" + productUsage}
}

// productCommand runs "shopbot product …": the seller's catalog operations
// for scripts. Every argument is checked before the database is opened.
func productCommand(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 {
		return badProductInput("missing subcommand")
	}
	sub, args := args[0], args[1:]
	// The product may come before the flags ("edit 12 --price 99").
	var target string
	if sub != "add" && sub != "list" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		target, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("product "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	title := fs.String("title", "", "")
	price := fs.String("price", "", "")
	stock := fs.String("stock", "", "")
	origin := fs.String("origin", "", "")
	category := fs.String("category", "", "")
	desc := fs.String("description", "", "")
	imagePath := fs.String("image", "", "")
	lang := fs.String("lang", "en", "")
	sku := fs.String("sku", "", "")
	all := fs.Bool("all", false, "")
	if err := fs.Parse(args); err != nil {
		return badProductInput("%v", err)
	}
	if target == "" && fs.NArg() > 0 {
		target = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return badProductInput("unexpected %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	allowed := map[string][]string{
		"add":  {"title", "price", "stock", "origin", "category", "description", "image", "lang", "sku"},
		"edit": {"title", "price", "stock", "description", "lang"},
		"hide": nil, "show": nil, "list": {"all"},
	}
	names, ok := allowed[sub]
	if !ok {
		return badProductInput("unknown subcommand %q", sub)
	}
	for name := range set {
		if !slices.Contains(names, name) {
			return badProductInput("--%s does not go with product %s", name, sub)
		}
	}
	if sub == "list" {
		if target != "" {
			return badProductInput("unexpected %q", target)
		}
		return withApp(ctx, cfg, log, func(a *App) error { return listProducts(ctx, a, *all, out) })
	}
	if !slices.Contains(commerce.Languages, *lang) {
		return badProductInput("--lang %q: want one of %s", *lang, strings.Join(commerce.Languages, ", "))
	}

	// Check every value given before anything is opened.
	check := commerce.NewSeller(commerce.SellerOptions{})
	var in struct {
		title, desc string
		price       commerce.Money
		stock       int
		origin      commerce.Origin
		image       []byte
	}
	var err error
	if set["title"] {
		if in.title, err = commerce.CleanTitle(*title); err != nil {
			return badProductInput("--title: 1 to %d characters on one line", commerce.MaxTitleRunes)
		}
	}
	if set["description"] {
		if in.desc, err = commerce.CleanDescription(*desc); err != nil {
			return badProductInput("--description: at most %d characters", commerce.MaxDescriptionRunes)
		}
	}
	if set["price"] {
		m, ok := commerce.ParseAmount(*price, check.Currency())
		if !ok {
			return badProductInput("--price %q: a positive amount such as 129.00", *price)
		}
		if err := check.CheckPrice(m); err != nil {
			return badProductInput("--price %q: the shop sells in %s", *price, check.Currency())
		}
		in.price = m
	}
	if set["stock"] {
		n, err := strconv.Atoi(strings.TrimSpace(*stock))
		if err != nil || commerce.CheckStock(n) != nil {
			return badProductInput("--stock %q: a whole number from 0 to %d", *stock, commerce.MaxStock)
		}
		in.stock = n
	}
	if set["origin"] {
		if in.origin, err = commerce.ParseOrigin(*origin); err != nil {
			o, ok := commerce.OriginTag(strings.TrimPrefix(*origin, "#"))
			if !ok {
				return badProductInput("--origin %q: bonded, direct_mail, duty_paid or local_stock", *origin)
			}
			in.origin = o
		}
	}
	if set["image"] {
		f, err := os.Open(*imagePath)
		if err != nil {
			return badProductInput("--image: %v", err)
		}
		in.image, err = io.ReadAll(io.LimitReader(f, commerce.MaxImageBytes+1))
		f.Close()
		if err != nil {
			return badProductInput("--image: %v", err)
		}
		if _, err := commerce.NormalizeImage(in.image); err != nil {
			return badProductInput("--image %s: %s", *imagePath, imageProblem(err))
		}
	}

	switch sub {
	case "add":
		for _, name := range []string{"title", "price", "stock", "origin", "category"} {
			if !set[name] {
				return badProductInput("product add needs --%s", name)
			}
		}
		if set["sku"] && (strings.TrimSpace(*sku) == "" || len(*sku) > 64 || strings.ContainsFunc(*sku, func(r rune) bool { return r <= ' ' })) {
			return badProductInput("--sku %q: 1 to 64 characters without spaces", *sku)
		}
		return withApp(ctx, cfg, log, func(a *App) error {
			cat, err := findCategory(ctx, a, *category)
			if err != nil {
				return err
			}
			np := commerce.NewProduct{SKU: *sku, Nonce: commerce.NewListingNonce(), Lang: *lang, Title: in.title,
				Description: in.desc, Price: in.price, Stock: in.stock, Origin: in.origin, CategoryID: cat.ID}
			if _, err := a.seller.Product(np); err != nil {
				return badProductInput("%v", err)
			}
			if np.SKU != "" {
				if p, err := a.Store.ProductBySKU(ctx, np.SKU); err == nil {
					return usageError{fmt.Sprintf("SKU %s is product %d already; change it with shopbot product edit", p.SKU, p.ID)}
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
			fmt.Fprintf(out, "added product %d (SKU %s): %s\n", p.ID, p.SKU, describe(p, *lang))
			return nil
		})
	case "edit":
		if target == "" {
			return badProductInput("product edit needs the product's ID or SKU")
		}
		if len(set) == 0 || len(set) == 1 && set["lang"] {
			return badProductInput("product edit needs at least one of --price, --stock, --title, --description")
		}
		return withApp(ctx, cfg, log, func(a *App) error {
			p, err := findProduct(ctx, a, target)
			if err != nil {
				return err
			}
			if set["price"] && p.Price.Currency != in.price.Currency {
				return badProductInput("--price: product %d sells in %s", p.ID, p.Price.Currency)
			}
			if set["title"] || set["description"] || set["price"] {
				ch := commerce.ProductChange{Lang: *lang}
				if set["title"] {
					ch.Title = &in.title
				}
				if set["description"] {
					ch.Description = &in.desc
				}
				if set["price"] {
					ch.Price = &in.price
				}
				if p, err = a.seller.Change(ctx, p.ID, ch); err != nil {
					return err
				}
			}
			if set["stock"] {
				// Applied as the difference to the stock just read, so a sale
				// in between is not undone (commerce.Seller.SetStock).
				if p, err = a.seller.SetStock(ctx, p.ID, p.Stock, in.stock); err != nil {
					return fmt.Errorf("stock: sales meanwhile left too little to set %d, try again: %w", in.stock, err)
				}
				if p.Stock != in.stock {
					fmt.Fprintf(out, "note: orders changed the stock meanwhile; it is %d\n", p.Stock)
				}
			}
			fmt.Fprintf(out, "product %d (SKU %s): %s\n", p.ID, p.SKU, describe(p, *lang))
			return nil
		})
	default: // hide, show
		if target == "" {
			return badProductInput("product %s needs the product's ID or SKU", sub)
		}
		return withApp(ctx, cfg, log, func(a *App) error {
			p, err := findProduct(ctx, a, target)
			if err != nil {
				return err
			}
			if p, err = a.seller.SetActive(ctx, p.ID, sub == "show"); err != nil {
				return err
			}
			fmt.Fprintf(out, "product %d (SKU %s): %s\n", p.ID, p.SKU, describe(p, *lang))
			return nil
		})
	}
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
		return p, fmt.Errorf("no product with ID or SKU %q (see shopbot product list --all)", ref)
	}
	return p, err
}

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
		return commerce.Category{}, usageError{"there are no categories yet: load some with shopbot catalog import or shopbot demo seed"}
	}
	var known []string
	for _, c := range cats {
		known = append(known, fmt.Sprintf("%d %s", c.ID, c.Slug))
	}
	return commerce.Category{}, usageError{fmt.Sprintf("--category %q names %d categories; known: %s", ref, len(found), strings.Join(known, ", "))}
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
