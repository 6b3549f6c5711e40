package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"shopbot/commerce"
)

// ConsoleOrders implements commerce.ConsoleStore: one query with the
// filters as conditions, then the lines of the page with one more.
func (s *Store) ConsoleOrders(ctx context.Context, q commerce.ConsoleOrderQuery) ([]commerce.Order, error) {
	where, args := consoleWhere(q)
	limit := q.Limit
	if limit <= 0 || limit > commerce.MaxConsoleOrders {
		limit = commerce.MaxConsoleOrders
	}
	args = append(args, limit)
	return s.ordersWithLines(ctx, "console orders", `SELECT `+orderCols+` FROM orders WHERE `+where+
		fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args)), args...)
}

// consoleWhere turns q into a condition and its arguments ($1 …).
func consoleWhere(q commerce.ConsoleOrderQuery) (string, []any) {
	conds := []string{"1 = 1"}
	var args queryArgs
	arg := args.add
	if len(q.Statuses) > 0 {
		conds = append(conds, "status IN ("+args.statuses(q.Statuses)+")")
	}
	if !q.From.IsZero() {
		conds = append(conds, "created_at >= "+arg(ms(q.From)))
	}
	if !q.To.IsZero() {
		conds = append(conds, "created_at < "+arg(ms(q.To)))
	}
	if q.BeforeID > 0 {
		conds = append(conds, "id < "+arg(q.BeforeID))
	}
	if search := strings.TrimSpace(q.Search); search != "" {
		alts := []string{
			"number LIKE " + arg(escapeLike(strings.ToUpper(strings.Join(strings.Fields(search), "")))+"%") + ` ESCAPE '\'`,
			"LOWER(contact_name) LIKE " + arg("%"+escapeLike(strings.ToLower(search))+"%") + ` ESCAPE '\'`,
		}
		if digits := onlyDigits(search); len(digits) >= 3 && len(digits)*2 >= len(strings.Join(strings.Fields(search), "")) {
			alts = append(alts, "phone LIKE "+arg("%"+digits))
		}
		conds = append(conds, "("+strings.Join(alts, " OR ")+")")
	}
	return strings.Join(conds, " AND "), args
}

func onlyDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r < unicode.MaxASCII && unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}

// DayFigures implements commerce.ConsoleStore.
func (s *Store) DayFigures(ctx context.Context, from, to time.Time) (commerce.DayFigures, error) {
	var f commerce.DayFigures
	err := s.db.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM orders WHERE created_at >= $1 AND created_at < $2),
			(SELECT COUNT(*) FROM orders WHERE status IN ($3, 'paid')),
			(SELECT COUNT(*) FROM orders WHERE status = $4),
			(SELECT COUNT(*) FROM pickup_bookings WHERE status = 'active' AND slot_start >= $1 AND slot_start < $2)`,
		ms(from), ms(to), string(commerce.StatusConfirmed), string(commerce.StatusReadyForPickup)).
		Scan(&f.NewOrders, &f.ToShip, &f.AwaitingPickup, &f.PickupsDue)
	if err != nil {
		return f, fmt.Errorf("day figures: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT currency, SUM(total_amount) FROM orders
		WHERE created_at >= $1 AND created_at < $2 AND status NOT IN ($3, $4, $5)
		GROUP BY currency ORDER BY currency`,
		ms(from), ms(to), string(commerce.StatusPending), string(commerce.StatusCancelled), string(commerce.StatusReturned))
	if err != nil {
		return f, fmt.Errorf("day revenue: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m commerce.Money
		if err := rows.Scan(&m.Currency, &m.Amount); err != nil {
			return f, fmt.Errorf("day revenue: %w", err)
		}
		f.Revenue = append(f.Revenue, m)
	}
	return f, rows.Err()
}
