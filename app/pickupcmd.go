package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"shopbot/commerce"
)

const pickupUsage = `usage:
  shopbot pickup points
  shopbot pickup ship    -point CODE [-batch BATCH] ORDER...
  shopbot pickup arrived -point CODE [-batch BATCH] [ORDER...]
  shopbot pickup staff   -point CODE add|remove IDENTITY`

// pickupCommand manages pickup points and shipments from the shell.
func pickupCommand(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", pickupUsage)
	}
	fs := flag.NewFlagSet("pickup "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	point := fs.String("point", "", "pickup point code")
	batch := fs.String("batch", "", "shipment batch code")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w\n%s", err, pickupUsage)
	}
	return withApp(ctx, cfg, log, func(a *App) error {
		points, err := a.Store.AllPickupPoints(ctx)
		if err != nil {
			return err
		}
		find := func() (commerce.PickupPoint, error) {
			for _, p := range points {
				if strings.EqualFold(p.Code, *point) {
					return p, nil
				}
			}
			return commerce.PickupPoint{}, fmt.Errorf("no pickup point %q (see shopbot pickup points)", *point)
		}
		switch args[0] {
		case "points":
			for _, p := range points {
				state := "open  "
				if !p.Active {
					state = "closed"
				}
				fmt.Fprintf(out, "%-12s %s  %s · %s · %s · %s · %d min × %d · staff: %s\n", p.Code, state, p.City.In("en"),
					p.Name.In("en"), p.Address.In("en"), p.Hours, p.SlotMinutes, p.SlotCapacity, strings.Join(p.Staff, ","))
			}
			return nil
		case "ship", "arrived":
			p, err := find()
			if err != nil {
				return err
			}
			s := commerce.Shipment{PointID: p.ID, Numbers: fs.Args(), Batch: *batch}
			var rep commerce.MoveReport
			if args[0] == "ship" {
				rep, err = a.pickup.Ship(ctx, s)
			} else {
				rep, err = a.pickup.MarkArrived(ctx, s)
			}
			if err != nil {
				return err
			}
			for _, o := range rep.Moved {
				fmt.Fprintf(out, "moved   %s → %s\n", o.Number, o.Status)
			}
			for _, sk := range rep.Skipped {
				fmt.Fprintf(out, "skipped %s: %s %s\n", sk.Number, sk.Reason, sk.Status)
			}
			fmt.Fprintf(out, "%d moved, %d skipped\n", len(rep.Moved), len(rep.Skipped))
			return nil
		case "staff":
			p, err := find()
			if err != nil {
				return err
			}
			if fs.NArg() != 2 || !commerce.ValidIdentity(fs.Arg(1)) {
				return fmt.Errorf("%s\nIDENTITY looks like tg:123, wx:oAbc or web:alice", pickupUsage)
			}
			id := fs.Arg(1)
			switch fs.Arg(0) {
			case "add":
				if !slices.Contains(p.Staff, id) {
					p.Staff = append(p.Staff, id)
				}
			case "remove":
				p.Staff = slices.DeleteFunc(p.Staff, func(s string) bool { return s == id })
			default:
				return fmt.Errorf("%s", pickupUsage)
			}
			if _, err := a.pickup.SavePoint(ctx, p); err != nil {
				return err
			}
			fmt.Fprintf(out, "%s staff: %s\n", p.Code, strings.Join(p.Staff, ","))
			return nil
		}
		return fmt.Errorf("%s", pickupUsage)
	})
}

// staffCommand runs "shopbot staff link IDENTITY [-ttl D]": prints a login
// link to the staff page for one person.
func staffCommand(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) < 2 || args[0] != "link" {
		return fmt.Errorf("usage: shopbot staff link IDENTITY [-ttl 24h]")
	}
	id := args[1]
	fs := flag.NewFlagSet("staff link", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	ttl := fs.Duration("ttl", 24*time.Hour, "how long the link works")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	return withApp(ctx, cfg, log, func(a *App) error {
		points, err := a.pickup.StaffPoints(ctx, id)
		if err != nil {
			return err
		}
		if len(points) == 0 {
			return fmt.Errorf("%s is not staff of any pickup point (shopbot pickup staff -point CODE add %s)", id, id)
		}
		link, err := a.staff.LoginLink(id, *ttl)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, link)
		return nil
	})
}
