package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v3"

	"shopbot/commerce"
	"shopbot/internal/cmdline"
)

// ordersCommand is "shopbot orders cancel NUMBER --reason …": a seller's
// cancellation of an order that has not shipped.
func (e *cliEnv) ordersCommand() *cli.Command {
	return &cli.Command{
		Name:  "orders",
		Usage: "orders: list, show, export, cancel",
		Commands: append([]*cli.Command{
			{Name: "cancel", Usage: "cancel an order that has not shipped, or one not collected within its hold period: its stock goes back, " +
				"its payment is refunded and the buyer is told the reason in their chat",
				ArgsUsage: "NUMBER",
				Flags: []cli.Flag{&cli.StringFlag{Name: "reason", Required: true,
					Usage: fmt.Sprintf("what the buyer is told, as `TEXT` (up to %d characters)", commerce.MaxCancelReason)}},
				Action: e.ordersCancel},
		}, e.ordersDeskCommands()...),
	}
}

// ordersCancel exits 0 when it cancelled the order, 3 when there was
// nothing to do (already cancelled, or shipped: too late), 1 for an
// unknown order, 2 for a bad reason.
func (e *cliEnv) ordersCancel(ctx context.Context, cmd *cli.Command) error {
	number, err := oneArg(cmd, "the order's NUMBER")
	if err != nil {
		return err
	}
	reason, err := commerce.NormalizeCancelReason(cmd.String("reason"))
	if err != nil {
		return cmdline.Usagef("--reason: 1 to %d characters, no control characters", commerce.MaxCancelReason)
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		// Through Payments: an order awaiting payment is closed at the
		// provider first, a paid one is refunded; an order not collected
		// within its hold period is cancelled from its point.
		o, err := a.Store.OrderByNumber(ctx, strings.ToUpper(strings.TrimSpace(number)))
		var cancelled bool
		switch pay := a.sellerPayments(); {
		case err != nil:
		case o.Status == commerce.StatusReadyForPickup:
			o, cancelled, err = a.desk.CancelOverdue(ctx, number, reason, "cli")
		case pay != nil:
			o, cancelled, err = pay.SellerCancel(ctx, a.Shop, number, reason, "cli")
		default:
			o, cancelled, err = a.Shop.SellerCancel(ctx, number, reason, "cli")
		}
		switch {
		case errors.Is(err, commerce.ErrHoldNotOver):
			return cmdline.NotDonef("order %s is waiting at its pickup point within its hold period: it can be cancelled once that is over", o.Number)
		case errors.Is(err, commerce.ErrNotFound):
			return fmt.Errorf("no order %s", strings.ToUpper(strings.TrimSpace(number)))
		case errors.Is(err, commerce.ErrTooLate):
			return cmdline.NotDonef("order %s is %s: too late to cancel (after pickup the buyer can return it)", o.Number, o.Status)
		case err != nil:
			return err
		case !cancelled:
			return cmdline.NotDonef("order %s was already cancelled (reason: %q)", o.Number, o.CancelReason)
		}
		units := 0
		for _, l := range o.Lines {
			units += l.Qty
		}
		fmt.Fprintf(e.stdout, "cancelled %s: %d units back on sale; the buyer is told in their chat: %q\n", o.Number, units, o.CancelReason)
		return nil
	})
}
