package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"shopbot/commerce"
	"shopbot/internal/cmdline"
	"shopbot/staff"
)

// pickupCommand manages pickup points and shipments from the shell.
func (e *cliEnv) pickupCommand() *cli.Command {
	point := func() cli.Flag {
		return &cli.StringFlag{Name: "point", Required: true, Usage: "the pickup point's `CODE` (see shopbot pickup points)"}
	}
	batch := func() cli.Flag { return &cli.StringFlag{Name: "batch", Usage: "the shipment's `BATCH` code"} }
	return &cli.Command{
		Name:  "pickup",
		Usage: "pickup points, shipments arriving, staff lists",
		Commands: []*cli.Command{
			e.pointsCommand(),
			{Name: "ship", Usage: "mark ORDERs shipped to a pickup point", ArgsUsage: "ORDER...",
				Flags: []cli.Flag{point(), batch()}, Action: e.pickupMove},
			{Name: "arrived", Usage: "mark ORDERs, or the orders of a -batch, arrived at a pickup point; buyers are notified",
				ArgsUsage: "[ORDER...]", Flags: []cli.Flag{point(), batch()}, Action: e.pickupMove},
			{Name: "staff", Usage: "add or remove a staff member (tg:123, wx:oAbc or web:alice) of a pickup point",
				ArgsUsage: "add|remove IDENTITY", Flags: []cli.Flag{point()}, Action: e.pickupStaff},
			{Name: "rotate-key", Usage: "replace the generated pickup pass key (not SHOPBOT_PICKUP_SECRET): from the next start " +
				"buyers' QR passes are new; staff stay signed in", Action: e.rotateKey(pickupKeyRotation)},
		},
	}
}

func (e *cliEnv) pickupPoints(ctx context.Context, cmd *cli.Command) error {
	if err := noArgs(cmd); err != nil {
		return err
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		points, err := a.Store.AllPickupPoints(ctx)
		if err != nil {
			return err
		}
		for _, p := range points {
			state := "open  "
			if !p.Active {
				state = "closed"
			}
			fmt.Fprintf(e.stdout, "%-12s %s  %s · %s · %s · %s · %d min × %d · staff: %s\n", p.Code, state, p.City.In("en"),
				p.Name.In("en"), p.Address.In("en"), p.Hours, p.SlotMinutes, p.SlotCapacity, strings.Join(p.Staff, ","))
		}
		return nil
	})
}

// findPoint reads the pickup point of -point.
func findPoint(ctx context.Context, a *App, code string) (commerce.PickupPoint, error) {
	points, err := a.Store.AllPickupPoints(ctx)
	if err != nil {
		return commerce.PickupPoint{}, err
	}
	for _, p := range points {
		if strings.EqualFold(p.Code, code) {
			return p, nil
		}
	}
	return commerce.PickupPoint{}, fmt.Errorf("no pickup point %q (see shopbot pickup points)", code)
}

// pickupMove is "pickup ship" and "pickup arrived". An order it skips
// (unknown, or not in a state to move) makes the exit code 3.
func (e *cliEnv) pickupMove(ctx context.Context, cmd *cli.Command) error {
	orders := cmd.Args().Slice()
	if cmd.Name == "ship" && len(orders) == 0 {
		return cmdline.Usagef("missing ORDER")
	}
	if len(orders) == 0 && cmd.String("batch") == "" {
		return cmdline.Usagef("missing ORDER, or -batch")
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		p, err := findPoint(ctx, a, cmd.String("point"))
		if err != nil {
			return err
		}
		s := commerce.Shipment{PointID: p.ID, Numbers: orders, Batch: cmd.String("batch")}
		var rep commerce.MoveReport
		if cmd.Name == "ship" {
			rep, err = a.pickup.Ship(ctx, s)
		} else {
			rep, err = a.pickup.MarkArrived(ctx, s)
		}
		if err != nil {
			return err
		}
		for _, o := range rep.Moved {
			fmt.Fprintf(e.stdout, "moved   %s → %s\n", o.Number, o.Status)
		}
		for _, sk := range rep.Skipped {
			fmt.Fprintf(e.stdout, "skipped %s: %s %s\n", sk.Number, sk.Reason, sk.Status)
		}
		fmt.Fprintf(e.stdout, "%d moved, %d skipped\n", len(rep.Moved), len(rep.Skipped))
		if len(rep.Skipped) > 0 {
			return cmdline.NotDonef("%d of %d orders skipped", len(rep.Skipped), len(rep.Moved)+len(rep.Skipped))
		}
		return nil
	})
}

func (e *cliEnv) pickupStaff(ctx context.Context, cmd *cli.Command) error {
	args := cmd.Args().Slice()
	if len(args) != 2 {
		return cmdline.Usagef("want add or remove, then the IDENTITY")
	}
	op, id := args[0], args[1]
	if op != "add" && op != "remove" {
		return cmdline.Usagef("%q: want add or remove", op)
	}
	if !commerce.ValidIdentity(id) {
		return cmdline.Usagef("IDENTITY %q: want tg:123, wx:oAbc or web:alice", id)
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		p, err := findPoint(ctx, a, cmd.String("point"))
		if err != nil {
			return err
		}
		if op == "add" {
			if !slices.Contains(p.Staff, id) {
				p.Staff = append(p.Staff, id)
			}
		} else {
			p.Staff = slices.DeleteFunc(p.Staff, func(s string) bool { return s == id })
		}
		if _, err := a.pickup.SavePoint(ctx, p); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s staff: %s\n", p.Code, strings.Join(p.Staff, ","))
		return nil
	})
}

// staffCommand is "shopbot staff link|signout|rotate-key": the staff
// page's sign-ins.
func (e *cliEnv) staffCommand() *cli.Command {
	return &cli.Command{
		Name:  "staff",
		Usage: "the staff page: login links, signing staff out, its key",
		Commands: []*cli.Command{
			{Name: "link", Usage: "print a single-use login link to the staff page (/staff) for IDENTITY", ArgsUsage: "IDENTITY",
				Flags: []cli.Flag{&cli.DurationFlag{Name: "ttl", Value: staff.LoginTTL,
					Usage: fmt.Sprintf("the link works once, within `D` (at most %v)", staff.MaxLoginTTL)}},
				Action: e.staffLink},
			{Name: "signout", Usage: "sign IDENTITY out of the staff page on every device and void their unused login links",
				ArgsUsage: "IDENTITY", Action: e.staffSignout},
			{Name: "rotate-key", Usage: "replace the generated staff key (not SHOPBOT_STAFF_KEY): from the next start every staff member " +
				"signs in again; QR passes stay valid", Action: e.rotateKey(staffKeyRotation)},
		},
	}
}

// staffIdentity reads the IDENTITY argument.
func staffIdentity(cmd *cli.Command) (string, error) {
	id, err := oneArg(cmd, "IDENTITY")
	if err != nil {
		return "", err
	}
	if !commerce.ValidIdentity(id) {
		return "", cmdline.Usagef("IDENTITY %q: want tg:123, wx:oAbc or web:alice", id)
	}
	return id, nil
}

func (e *cliEnv) staffLink(ctx context.Context, cmd *cli.Command) error {
	id, err := staffIdentity(cmd)
	if err != nil {
		return err
	}
	if ttl := cmd.Duration("ttl"); ttl < time.Second || ttl > staff.MaxLoginTTL {
		return cmdline.Usagef("-ttl %v: want 1s to %v", ttl, staff.MaxLoginTTL)
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		points, err := a.pickup.StaffPoints(ctx, id)
		if err != nil {
			return err
		}
		if len(points) == 0 {
			return fmt.Errorf("%s is not staff of any pickup point (shopbot pickup staff -point CODE add %s)", id, id)
		}
		link, err := a.staff.LoginLink(ctx, id, cmd.Duration("ttl"))
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, link)
		return nil
	})
}

func (e *cliEnv) staffSignout(ctx context.Context, cmd *cli.Command) error {
	return e.signOutEverywhere(ctx, cmd, func(a *App) signOuter { return a.staff })
}

// signOuter ends an identity's sessions and voids its unused login links:
// the staff page's and the console's sign-ins.
type signOuter interface {
	SignOutEverywhere(ctx context.Context, identity string) (sessions, links int64, err error)
}

// signOutEverywhere runs "… signout IDENTITY" on the sign-ins site picks.
func (e *cliEnv) signOutEverywhere(ctx context.Context, cmd *cli.Command, site func(*App) signOuter) error {
	id, err := staffIdentity(cmd)
	if err != nil {
		return err
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		sessions, links, err := site(a).SignOutEverywhere(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: %d %s ended, %d unused login %s voided\n", id, sessions, plural(sessions, "session", "sessions"),
			links, plural(links, "link", "links"))
		return nil
	})
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// A key of the deployment that "rotate-key" replaces.
type deploymentKey struct{ env, setting, effect string }

var (
	staffKeyRotation = deploymentKey{"SHOPBOT_STAFF_KEY", staffKeySetting,
		"every staff member signs in again (links made before stop working); buyers' QR passes stay valid"}
	pickupKeyRotation = deploymentKey{"SHOPBOT_PICKUP_SECRET", pickupKeySetting,
		"buyers' QR passes made before stop working (the chat shows new ones; typed codes still work); staff stay signed in"}
)

// rotateKey is "staff rotate-key" and "pickup rotate-key": a new random key
// in the key's settings row. Running servers keep the key they started
// with; each uses the new one from its next start.
func (e *cliEnv) rotateKey(k deploymentKey) cli.ActionFunc {
	return func(ctx context.Context, cmd *cli.Command) error {
		if err := noArgs(cmd); err != nil {
			return err
		}
		if e.getenv(k.env) != "" {
			return cmdline.Usagef("%s is set: the key is the environment's; set a new value there and restart shopbot", k.env)
		}
		return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
			if err := a.Store.SetSetting(ctx, k.setting, newKey()); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "new key stored; restart shopbot to use it: %s\n", k.effect)
			return nil
		})
	}
}
