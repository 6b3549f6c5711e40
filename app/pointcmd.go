package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v3"

	"shopbot/commerce"
	"shopbot/internal/cmdline"
)

// pointsCommand is "shopbot pickup points [list|add|edit|close|reopen]":
// the pickup points through commerce.ShopSetup, as the chat's /point.
// "pickup points" alone lists them, as before.
func (e *cliEnv) pointsCommand() *cli.Command {
	place := func(required bool) []cli.Flag {
		return []cli.Flag{
			&cli.StringFlag{Name: "name", Required: required, Usage: "the point's `NAME` as buyers see it"},
			&cli.StringFlag{Name: "address", Required: required, Usage: "its `ADDRESS`"},
			&cli.StringFlag{Name: "city", Usage: "its `CITY`"},
			&cli.StringFlag{Name: "lang", Usage: "the `LANG` of --name, --address and --city: en, zh-CN or ru (default: the language each is written in)"},
			&cli.StringFlag{Name: "tz", Usage: "its IANA time `ZONE` (default: the shop's)"},
			&cli.FloatFlag{Name: "lat", Usage: "its latitude `L` (with --lng)"},
			&cli.FloatFlag{Name: "lng", Usage: "its longitude `L` (with --lat)"},
			&cli.BoolFlag{Name: "bonded-zone", Usage: "the point is inside a special customs supervision zone (--bonded-zone=false: it is not)"},
			&cli.StringFlag{Name: "hours", Usage: "weekly opening `HOURS`, e.g. \"Mo-Fr 10:00-21:00; Sa 11:00-18:00\""},
		}
	}
	return &cli.Command{
		Name:   "points",
		Usage:  "pickup points: list (the default), add, edit, close, reopen",
		Action: e.pickupPoints,
		Commands: []*cli.Command{
			{Name: "list", Usage: "list the pickup points: codes, hours, slot size × capacity, staff", Action: e.pickupPoints},
			{Name: "add", Usage: "add an open pickup point", ArgsUsage: "CODE", Flags: place(true), Action: e.pointAdd},
			{Name: "edit", Usage: "change a pickup point's name, address, city, zone, position, hours or bonded-zone flag",
				ArgsUsage: "CODE", Flags: place(false), Action: e.pointEdit},
			{Name: "close", Usage: "stop taking orders for a pickup point (orders there stay)", ArgsUsage: "CODE", Action: e.pointOpen},
			{Name: "reopen", Usage: "take orders for a closed pickup point again", ArgsUsage: "CODE", Action: e.pointOpen},
		},
	}
}

// pointFlags is the checked place flags given.
type pointFlags struct {
	lang, name, address, city, tz, hours string
	weekly                               commerce.WeeklyHours
}

func readPointFlags(cmd *cli.Command) (pointFlags, error) {
	f := pointFlags{lang: cmd.String("lang")}
	if f.lang != "" && !slices.Contains(commerce.Languages, f.lang) {
		return f, cmdline.Usagef("--lang %q: want one of %s", f.lang, strings.Join(commerce.Languages, ", "))
	}
	for _, t := range []struct {
		flag string
		to   *string
	}{{"name", &f.name}, {"address", &f.address}, {"city", &f.city}} {
		if !cmd.IsSet(t.flag) {
			continue
		}
		s, err := commerce.CleanPointText(t.flag, cmd.String(t.flag))
		if err != nil {
			return f, cmdline.Usagef("--%s: 1 to %d characters on one line", t.flag, commerce.MaxPointTextRunes)
		}
		*t.to = s
	}
	if cmd.IsSet("tz") {
		z, err := commerce.ParseTimeZone(cmd.String("tz"))
		if err != nil {
			return f, cmdline.Usagef("--tz %q: an IANA zone such as Asia/Shanghai", cmd.String("tz"))
		}
		f.tz = z
	}
	if cmd.IsSet("lat") != cmd.IsSet("lng") {
		return f, cmdline.Usagef("--lat and --lng go together")
	}
	if lat, lng := cmd.Float("lat"), cmd.Float("lng"); !(lat >= -90 && lat <= 90 && lng >= -180 && lng <= 180) {
		return f, cmdline.Usagef("--lat %v --lng %v: latitude -90..90, longitude -180..180", lat, lng)
	}
	if cmd.IsSet("hours") {
		w, err := commerce.ParseWeeklyHours(cmd.String("hours"))
		if err != nil || w.IsZero() {
			return f, cmdline.Usagef("--hours %q: e.g. \"Mo-Fr 10:00-21:00; Sa 11:00-18:00\" (days not named are closed)", cmd.String("hours"))
		}
		f.weekly, f.hours = w, cmd.String("hours")
	}
	return f, nil
}

func pointCode(cmd *cli.Command) (string, error) {
	code, err := oneArg(cmd, "CODE")
	if err == nil && !commerce.ValidPointCode(code) {
		err = cmdline.Usagef("CODE %q: up to 32 letters, digits, - or _", code)
	}
	return code, err
}

func (e *cliEnv) pointAdd(ctx context.Context, cmd *cli.Command) error {
	code, err := pointCode(cmd)
	if err != nil {
		return err
	}
	f, err := readPointFlags(cmd)
	if err != nil {
		return err
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		p, err := a.setup.AddPoint(ctx, commerce.PointInput{Code: code, Lang: f.lang, Name: f.name, Address: f.address,
			City: f.city, TimeZone: f.tz, Lat: cmd.Float("lat"), Lng: cmd.Float("lng"), BondedZone: cmd.Bool("bonded-zone"),
			Hours: f.hours})
		switch {
		case errors.Is(err, commerce.ErrConflict):
			return cmdline.Usagef("there is a pickup point %s already: change it with shopbot pickup points edit %s", code, code)
		case errors.Is(err, commerce.ErrInvalid):
			return cmdline.Usagef("%v", err)
		case err != nil:
			return err
		}
		fmt.Fprintf(e.stdout, "added pickup point %s\n", describePoint(p))
		return nil
	})
}

func (e *cliEnv) pointEdit(ctx context.Context, cmd *cli.Command) error {
	code, err := pointCode(cmd)
	if err != nil {
		return err
	}
	f, err := readPointFlags(cmd)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc([]string{"name", "address", "city", "tz", "lat", "bonded-zone", "hours"}, cmd.IsSet) {
		return cmdline.Usagef("pickup points edit needs at least one of --name, --address, --city, --tz, --lat/--lng, --bonded-zone, --hours")
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		p, err := a.setup.EditPoint(ctx, code, func(p *commerce.PickupPoint) error {
			if cmd.IsSet("name") {
				p.Name = commerce.SetPointText(p.Name, f.lang, f.name)
			}
			if cmd.IsSet("address") {
				p.Address = commerce.SetPointText(p.Address, f.lang, f.address)
			}
			if cmd.IsSet("city") {
				p.City = commerce.SetPointText(p.City, f.lang, f.city)
			}
			if cmd.IsSet("tz") {
				p.TimeZone = f.tz
			}
			if cmd.IsSet("lat") {
				p.Lat, p.Lon = cmd.Float("lat"), cmd.Float("lng")
			}
			if cmd.IsSet("bonded-zone") {
				p.BondedZone = cmd.Bool("bonded-zone")
			}
			if cmd.IsSet("hours") {
				p.Opening, p.Hours = f.weekly, ""
			}
			return nil
		})
		switch {
		case errors.Is(err, commerce.ErrNotFound):
			return cmdline.Usagef("no pickup point %q (see shopbot pickup points)", code)
		case errors.Is(err, commerce.ErrInvalid):
			return cmdline.Usagef("%v", err)
		case err != nil:
			return err
		}
		fmt.Fprintf(e.stdout, "pickup point %s\n", describePoint(p))
		return nil
	})
}

// pointOpen is "pickup points close" and "reopen".
func (e *cliEnv) pointOpen(ctx context.Context, cmd *cli.Command) error {
	code, err := pointCode(cmd)
	if err != nil {
		return err
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		p, err := a.setup.SetPointOpen(ctx, code, cmd.Name == "reopen")
		if errors.Is(err, commerce.ErrNotFound) {
			return cmdline.Usagef("no pickup point %q (see shopbot pickup points)", code)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "pickup point %s\n", describePoint(p))
		return nil
	})
}

// describePoint is one line about a point for the shell.
func describePoint(p commerce.PickupPoint) string {
	state := "open"
	if !p.Active {
		state = "closed"
	}
	bonded := ""
	if p.BondedZone {
		bonded = " · bonded zone"
	}
	pos := ""
	if p.Lat != 0 || p.Lon != 0 {
		pos = fmt.Sprintf(" · %g,%g", p.Lat, p.Lon)
	}
	return fmt.Sprintf("%s (%s): %s · %s · %s%s · %s%s", p.Code, state, p.Name.In("en"), p.Address.In("en"), p.TimeZone, pos,
		or(p.Opening.String(), "no hours"), bonded)
}
