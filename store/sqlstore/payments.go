package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"shopbot/commerce"
)

var _ commerce.PaymentFlowStore = (*Store)(nil)

// Online payment (issue 14): attempts and refunds. Every change locks the
// order's row first (a no-op UPDATE: the row lock on Postgres, the one
// writer on SQLite), so BeginPayment, ApplyPayment, CloseUnpaid and
// CreateRefund of one order run one after the other, and whatever they
// read after the lock is what they write against.

const attemptCols = `id, order_id, method, trade_type, out_trade_no, amount, currency, state, prepay,
	transaction_id, provider_ref, payer, paid_amount, paid_currency, created_at, updated_at, paid_at`

func scanPayAttempt(sc rowScanner) (commerce.PayAttempt, error) {
	var a commerce.PayAttempt
	var created, updated, paid int64
	err := sc.Scan(&a.ID, &a.OrderID, &a.Method, &a.TradeType, &a.OutTradeNo, &a.Amount.Amount, &a.Amount.Currency,
		&a.State, &a.Prepay, &a.TransactionID, &a.ProviderRef, &a.Payer, &a.Paid.Amount, &a.Paid.Currency,
		&created, &updated, &paid)
	a.CreatedAt, a.UpdatedAt, a.PaidAt = fromMS(created), fromMS(updated), fromMS(paid)
	return a, err
}

const refundCols = `id, order_id, attempt_id, method, out_refund_no, amount, currency, lines, reason, state,
	provider_id, idem_key, created_by, created_at, updated_at, done_at`

func scanRefund(sc rowScanner) (commerce.Refund, error) {
	var r commerce.Refund
	var lines string
	var created, updated, done int64
	err := sc.Scan(&r.ID, &r.OrderID, &r.AttemptID, &r.Method, &r.OutRefundNo, &r.Amount.Amount, &r.Amount.Currency,
		&lines, &r.Reason, &r.State, &r.ProviderID, &r.Key, &r.By, &created, &updated, &done)
	if err != nil {
		return r, err
	}
	r.CreatedAt, r.UpdatedAt, r.DoneAt = fromMS(created), fromMS(updated), fromMS(done)
	if lines != "" && lines != "[]" {
		if err := json.Unmarshal([]byte(lines), &r.Lines); err != nil {
			return r, fmt.Errorf("refund %s lines: %w", r.OutRefundNo, err)
		}
	}
	return r, nil
}

// lockPayOrder takes the order's row lock and returns the order as it is
// under the lock. ErrNotFound if absent.
func (s *Store) lockPayOrder(ctx context.Context, tx *sql.Tx, orderID int64) (commerce.Order, error) {
	if err := lockRow(ctx, tx, `UPDATE orders SET updated_at = updated_at WHERE id = $1`, orderID); err != nil {
		return commerce.Order{}, fmt.Errorf("order %d: %w", orderID, s.mapErr(err))
	}
	return s.orderWhere(ctx, tx, `id = $1`, orderID)
}

func (s *Store) attemptWhere(ctx context.Context, q querier, where string, args ...any) (commerce.PayAttempt, error) {
	a, err := scanPayAttempt(q.QueryRowContext(ctx, `SELECT `+attemptCols+` FROM pay_attempts WHERE `+where, args...))
	if err != nil {
		return a, fmt.Errorf("pay attempt %v: %w", args, s.mapErr(err))
	}
	return a, nil
}

func (s *Store) refundWhere(ctx context.Context, q querier, where string, args ...any) (commerce.Refund, error) {
	r, err := scanRefund(q.QueryRowContext(ctx, `SELECT `+refundCols+` FROM refunds WHERE `+where, args...))
	if err != nil {
		return r, fmt.Errorf("refund %v: %w", args, s.mapErr(err))
	}
	return r, nil
}

// insertAttemptTx numbers a (the order's number, "P", one more than the
// order's attempts so far; the order's row lock is held) and inserts it.
func (s *Store) insertAttemptTx(ctx context.Context, tx *sql.Tx, o commerce.Order, a commerce.PayAttempt) (commerce.PayAttempt, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pay_attempts WHERE order_id = $1`, o.ID).Scan(&n); err != nil {
		return a, fmt.Errorf("order %d attempts: %w", o.ID, err)
	}
	a.OrderID = o.ID
	a.OutTradeNo = o.Number + "P" + strconv.Itoa(n+1)
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = a.CreatedAt
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO pay_attempts (order_id, method, trade_type, out_trade_no, amount, currency,
			state, prepay, transaction_id, provider_ref, payer, paid_amount, paid_currency, created_at, updated_at, paid_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
		a.OrderID, string(a.Method), a.TradeType, a.OutTradeNo, a.Amount.Amount, a.Amount.Currency,
		string(a.State), a.Prepay, a.TransactionID, a.ProviderRef, a.Payer, a.Paid.Amount, a.Paid.Currency,
		ms(a.CreatedAt), ms(a.UpdatedAt), ms(a.PaidAt)).Scan(&a.ID)
	if err != nil {
		return a, fmt.Errorf("insert attempt %s: %w", a.OutTradeNo, s.mapErr(err))
	}
	return a, nil
}

// BeginPayment implements commerce.PaymentFlowStore.
func (s *Store) BeginPayment(ctx context.Context, orderID int64, a commerce.PayAttempt, expires time.Time) (commerce.Order, commerce.PayAttempt, bool, error) {
	var o commerce.Order
	var created bool
	at := a.CreatedAt
	if at.IsZero() {
		at = s.opts.Now()
		a.CreatedAt = at
	}
	a.State = commerce.AttemptOpen
	a.TransactionID, a.ProviderRef, a.Paid, a.PaidAt = "", "", commerce.Money{}, time.Time{}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		created = false
		var err error
		if o, err = s.lockPayOrder(ctx, tx, orderID); err != nil {
			return err
		}
		if (o.Status == commerce.StatusPending || o.Status == commerce.StatusAwaitingPayment) && !at.Before(o.ExpiresAt) {
			return fmt.Errorf("order %s is %s until %v: begin payment: %w", o.Number, o.Status, o.ExpiresAt, commerce.ErrExpired)
		}
		switch o.Status {
		case commerce.StatusPending:
			// A drop order's units are held for the reservation's time,
			// which the payment time never passes.
			var drop int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM drop_orders WHERE order_id = $1`, orderID).Scan(&drop); err != nil {
				return fmt.Errorf("order %d drop: %w", orderID, err)
			}
			if drop > 0 && expires.After(o.ExpiresAt) {
				expires = o.ExpiresAt
			}
			if _, err := tx.ExecContext(ctx, `UPDATE orders SET expires_at = $1 WHERE id = $2`, ms(expires), orderID); err != nil {
				return fmt.Errorf("order %d payment time: %w", orderID, s.mapErr(err))
			}
			if o, err = s.setStatusTx(ctx, tx, orderID, 0, commerce.StatusPending, commerce.StatusAwaitingPayment, at); err != nil {
				return err
			}
		case commerce.StatusAwaitingPayment:
			open, err := s.openAttempt(ctx, tx, orderID, a)
			if err == nil {
				a = open
				return nil
			}
			if !errors.Is(err, commerce.ErrNotFound) {
				return err
			}
			if expires.Before(o.ExpiresAt) {
				if _, err := tx.ExecContext(ctx, `UPDATE orders SET expires_at = $1, updated_at = $2 WHERE id = $3`,
					ms(expires), ms(at), orderID); err != nil {
					return fmt.Errorf("order %d payment time: %w", orderID, s.mapErr(err))
				}
				if o, err = s.orderWhere(ctx, tx, `id = $1`, orderID); err != nil {
					return err
				}
			}
		case commerce.StatusPaid:
			return fmt.Errorf("order %s: %w", o.Number, commerce.ErrAlreadyPaid)
		default:
			return fmt.Errorf("order %s is %s: begin payment: %w", o.Number, o.Status, commerce.ErrInvalidTransition)
		}
		a.Amount = o.Total
		if a, err = s.insertAttemptTx(ctx, tx, o, a); err != nil {
			return err
		}
		created = true
		return s.emit(ctx, tx, commerce.PaymentStarted{Order: o, Attempt: a})
	})
	return o, a, created, err
}

// SetAttemptPrepay implements commerce.PaymentFlowStore. ErrInvalidTransition
// when the attempt is no longer open; ErrNotFound if absent.
func (s *Store) SetAttemptPrepay(ctx context.Context, attemptID int64, prepay string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE pay_attempts SET prepay = $1, updated_at = $2 WHERE id = $3 AND state = $4`,
		prepay, ms(at), attemptID, string(commerce.AttemptOpen))
	if err != nil {
		return fmt.Errorf("attempt %d prepay: %w", attemptID, s.mapErr(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 1 {
		return nil
	}
	a, err := s.attemptWhere(ctx, s.db, `id = $1`, attemptID)
	if err != nil {
		return err
	}
	return fmt.Errorf("attempt %s is %s: prepay: %w", a.OutTradeNo, a.State, commerce.ErrInvalidTransition)
}

// AttemptByOutTradeNo implements commerce.PaymentFlowStore.
func (s *Store) AttemptByOutTradeNo(ctx context.Context, outTradeNo string) (commerce.PayAttempt, error) {
	return s.attemptWhere(ctx, s.db, `out_trade_no = $1`, outTradeNo)
}

// Attempts implements commerce.PaymentFlowStore.
func (s *Store) Attempts(ctx context.Context, orderID int64) ([]commerce.PayAttempt, error) {
	return queryList(ctx, s.db, fmt.Sprintf("attempts of order %d", orderID), scanPayAttempt,
		`SELECT `+attemptCols+` FROM pay_attempts WHERE order_id = $1 ORDER BY id`, orderID)
}

// ApplyPayment implements commerce.PaymentFlowStore. A second payment of an
// attempt that was paid already (a Telegram invoice paid twice) is
// recorded as an attempt of its own, numbered as the next attempt, and
// goes through the same rules.
func (s *Store) ApplyPayment(ctx context.Context, p commerce.ProviderPayment, at time.Time) (commerce.PayResult, error) {
	if p.TransactionID == "" || p.OutTradeNo == "" {
		return commerce.PayResult{}, fmt.Errorf("payment without transaction id: %w", commerce.ErrInvalid)
	}
	first, err := s.AttemptByOutTradeNo(ctx, p.OutTradeNo)
	if err != nil {
		return commerce.PayResult{}, err
	}
	if p.Method == "" {
		p.Method = first.Method
	}
	if p.Method != first.Method {
		return commerce.PayResult{}, fmt.Errorf("payment by %s of attempt %s: %w", p.Method, first, commerce.ErrInvalid)
	}
	if p.At.IsZero() {
		p.At = at
	}
	var res commerce.PayResult
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res = commerce.PayResult{}
		o, err := s.lockPayOrder(ctx, tx, first.OrderID)
		if err != nil {
			return err
		}
		res.Order = o
		// The key: a transaction seen before changes nothing.
		if seen, err := s.attemptWhere(ctx, tx, `method = $1 AND transaction_id = $2`, string(p.Method), p.TransactionID); err == nil {
			res.Outcome, res.Attempt = commerce.PayDuplicate, seen
			return nil
		} else if !errors.Is(err, commerce.ErrNotFound) {
			return err
		}
		a, err := s.attemptWhere(ctx, tx, `id = $1`, first.ID)
		if err != nil {
			return err
		}
		if a.TransactionID != "" {
			// The attempt was paid before by another transaction.
			a, err = s.insertAttemptTx(ctx, tx, o, commerce.PayAttempt{Method: a.Method, TradeType: a.TradeType,
				Amount: a.Amount, State: commerce.AttemptOpen, CreatedAt: at, UpdatedAt: at})
			if err != nil {
				return err
			}
		}
		a.TransactionID, a.ProviderRef, a.Paid, a.PaidAt, a.UpdatedAt = p.TransactionID, p.ProviderRef, p.Amount, p.At, at
		if p.Payer != "" {
			a.Payer = p.Payer
		}
		switch {
		case p.Amount != a.Amount:
			a.State, res.Outcome = commerce.AttemptMismatch, commerce.PayMismatch
		case o.Status == commerce.StatusAwaitingPayment && (a.State == commerce.AttemptOpen ||
			a.State == commerce.AttemptClosed && a.Method == commerce.PayTelegram),
			counterPayable(o, a): // paycounter.go
			a.State, res.Outcome = commerce.AttemptPaid, commerce.PayRecorded
		default:
			a.State, res.Outcome = commerce.AttemptLate, commerce.PayLate
		}
		if _, err := tx.ExecContext(ctx, `UPDATE pay_attempts SET state = $1, transaction_id = $2, provider_ref = $3,
				payer = $4, paid_amount = $5, paid_currency = $6, paid_at = $7, updated_at = $8 WHERE id = $9`,
			string(a.State), a.TransactionID, a.ProviderRef, a.Payer, a.Paid.Amount, a.Paid.Currency,
			ms(a.PaidAt), ms(a.UpdatedAt), a.ID); err != nil {
			return fmt.Errorf("record payment of %s: %w", a.OutTradeNo, s.mapErr(err))
		}
		res.Attempt = a
		switch res.Outcome {
		case commerce.PayMismatch:
			return s.emit(ctx, tx, commerce.PaymentMismatched{Order: o, Attempt: a})
		case commerce.PayRecorded:
			if _, err := tx.ExecContext(ctx, `UPDATE orders SET paid_at = $1, payment = $2, paid_amount = $3, paid_by = $4
				WHERE id = $5`, ms(a.PaidAt), string(a.Method), a.Paid.Amount, "provider", o.ID); err != nil {
				return fmt.Errorf("order %d paid: %w", o.ID, s.mapErr(err))
			}
			if o.Status != commerce.StatusAwaitingPayment { // paid at the counter: the status stays
				res.Order, err = s.counterPaidTx(ctx, tx, o.ID, at)
			} else {
				res.Order, err = s.setStatusTx(ctx, tx, o.ID, 0, commerce.StatusAwaitingPayment, commerce.StatusPaid, at)
			}
			if err != nil {
				return err
			}
			return s.emit(ctx, tx, commerce.OrderPaid{Order: res.Order, Attempt: a})
		}
		state := commerce.RefundManual
		if a.Method == commerce.PayWeChat {
			state = commerce.RefundRequested
		}
		r, _, err := s.createRefundTx(ctx, tx, o, commerce.Refund{OrderID: o.ID, AttemptID: a.ID, Method: a.Method,
			Amount: a.Paid, Reason: "late payment", State: state, Key: "late:" + a.OutTradeNo, By: "system",
			CreatedAt: at, UpdatedAt: at})
		if err != nil {
			return err
		}
		res.Refund = &r
		return nil
	})
	if err != nil {
		return commerce.PayResult{}, err
	}
	return res, nil
}

// CloseUnpaid implements commerce.PaymentFlowStore.
func (s *Store) CloseUnpaid(ctx context.Context, orderID int64, reason, by string, at time.Time) (commerce.Order, error) {
	var o commerce.Order
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if o, err = s.lockPayOrder(ctx, tx, orderID); err != nil {
			return err
		}
		switch {
		case o.Status == commerce.StatusPaid || o.Paid.IsPaid():
			return fmt.Errorf("order %s: %w", o.Number, commerce.ErrAlreadyPaid)
		case o.Status != commerce.StatusAwaitingPayment:
			return fmt.Errorf("order %s is %s: close unpaid: %w", o.Number, o.Status, commerce.ErrInvalidTransition)
		}
		var paid int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pay_attempts WHERE order_id = $1 AND state = $2`,
			orderID, string(commerce.AttemptPaid)).Scan(&paid); err != nil {
			return fmt.Errorf("order %d attempts: %w", orderID, err)
		}
		if paid > 0 {
			return fmt.Errorf("order %s has a paid attempt: %w", o.Number, commerce.ErrAlreadyPaid)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE pay_attempts SET state = $1, updated_at = $2 WHERE order_id = $3 AND state = $4`,
			string(commerce.AttemptClosed), ms(at), orderID, string(commerce.AttemptOpen)); err != nil {
			return fmt.Errorf("order %d close attempts: %w", orderID, s.mapErr(err))
		}
		if by != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE orders SET cancel_reason = $1, cancelled_by = $2 WHERE id = $3`,
				reason, by, orderID); err != nil {
				return fmt.Errorf("order %d cancel reason: %w", orderID, s.mapErr(err))
			}
		}
		if o, err = s.setStatusTx(ctx, tx, orderID, 0, commerce.StatusAwaitingPayment, commerce.StatusCancelled, at); err != nil {
			return err
		}
		if err := s.restockTx(ctx, tx, orderID, at); err != nil {
			return err
		}
		if err := s.refundMismatchesTx(ctx, tx, o, at); err != nil {
			return err
		}
		if by != "" {
			return s.emit(ctx, tx, commerce.SellerCancelledOrder{Order: o})
		}
		return nil
	})
	return o, err
}

// refundMismatchesTx gives back, whole, each payment of the wrong amount
// a cancelled order received (the sellers were alerted when it came; with
// the order closed the money has nothing left to pay): WeChat Pay
// automatically, Telegram by the seller at the provider. A payment in
// another currency than the order's stays with the sellers' alert: a
// refund is recorded in the order's currency.
func (s *Store) refundMismatchesTx(ctx context.Context, tx *sql.Tx, o commerce.Order, at time.Time) error {
	rows, err := s.attemptsWhereTx(ctx, tx, o.ID, commerce.AttemptMismatch)
	if err != nil {
		return err
	}
	for _, a := range rows {
		if a.Paid.Amount <= 0 || a.Paid.Currency != o.Total.Currency {
			continue
		}
		state := commerce.RefundManual
		if a.Method == commerce.PayWeChat {
			state = commerce.RefundRequested
		}
		if _, _, err := s.createRefundTx(ctx, tx, o, commerce.Refund{OrderID: o.ID, AttemptID: a.ID, Method: a.Method,
			Amount: a.Paid, Reason: "wrong amount", State: state, Key: "mismatch:" + a.OutTradeNo, By: "system",
			CreatedAt: at, UpdatedAt: at}); err != nil {
			return err
		}
	}
	return nil
}

// attemptsWhereTx lists an order's attempts in one state, oldest first.
func (s *Store) attemptsWhereTx(ctx context.Context, tx *sql.Tx, orderID int64, state commerce.AttemptState) ([]commerce.PayAttempt, error) {
	return queryList(ctx, tx, "attempts", scanPayAttempt, `SELECT `+attemptCols+` FROM pay_attempts
		WHERE order_id = $1 AND state = $2 ORDER BY id`, orderID, string(state))
}

// DuePayments implements commerce.PaymentFlowStore.
func (s *Store) DuePayments(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	return queryList(ctx, s.db, "due payments", func(sc rowScanner) (int64, error) {
		var id int64
		return id, sc.Scan(&id)
	}, `SELECT id FROM orders WHERE status = 'awaiting_payment' AND expires_at <= $1 ORDER BY expires_at, id LIMIT $2`,
		ms(now), limit) // the status is written out, so the partial index orders_payment_expiry serves it
}

// StaleAttempts implements commerce.PaymentFlowStore.
func (s *Store) StaleAttempts(ctx context.Context, before time.Time, limit int) ([]commerce.PayAttempt, error) {
	return queryList(ctx, s.db, "stale attempts", scanPayAttempt, `SELECT `+attemptCols+` FROM pay_attempts
		WHERE state = $1 AND method = $2 AND created_at < $3 ORDER BY created_at, id LIMIT $4`,
		string(commerce.AttemptOpen), string(commerce.PayWeChat), ms(before), limit)
}

// CreateRefund implements commerce.PaymentFlowStore.
func (s *Store) CreateRefund(ctx context.Context, r commerce.Refund) (commerce.Refund, bool, error) {
	if r.Key == "" {
		return r, false, fmt.Errorf("refund: key required: %w", commerce.ErrInvalid)
	}
	var created bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		o, err := s.lockPayOrder(ctx, tx, r.OrderID)
		if err != nil {
			return err
		}
		r, created, err = s.createRefundTx(ctx, tx, o, r)
		return err
	})
	if errors.Is(err, commerce.ErrConflict) {
		// The key of a refund of another order.
		if prev, kerr := s.refundWhere(ctx, s.db, `idem_key = $1`, r.Key); kerr == nil {
			return prev, false, nil
		}
	}
	return r, created, err
}

// createRefundTx records r for o, whose row lock tx holds: the refund
// with r.Key if there is one (created=false); else checked against what
// is left to refund, numbered and inserted, with RefundCreated.
func (s *Store) createRefundTx(ctx context.Context, tx *sql.Tx, o commerce.Order, r commerce.Refund) (commerce.Refund, bool, error) {
	if prev, err := s.refundWhere(ctx, tx, `idem_key = $1`, r.Key); err == nil {
		return prev, false, nil
	} else if !errors.Is(err, commerce.ErrNotFound) {
		return r, false, err
	}
	if r.Amount.Currency == "" {
		r.Amount.Currency = o.Total.Currency
	}
	if r.Amount.Amount <= 0 || r.Amount.Currency != o.Total.Currency {
		return r, false, fmt.Errorf("refund of %s for an order in %s: %w", r.Amount, o.Total.Currency, commerce.ErrInvalid)
	}
	switch r.State {
	case commerce.RefundRequested, commerce.RefundManual:
	default:
		return r, false, fmt.Errorf("refund created %s: %w", r.State, commerce.ErrInvalid)
	}
	earlier, err := queryList(ctx, tx, "refunds", scanRefund, `SELECT `+refundCols+` FROM refunds WHERE order_id = $1 ORDER BY id`, o.ID)
	if err != nil {
		return r, false, err
	}
	if r.AttemptID != 0 {
		a, err := s.attemptWhere(ctx, tx, `id = $1 AND order_id = $2`, r.AttemptID, o.ID)
		if err != nil {
			return r, false, err
		}
		left := a.Paid.Amount
		for _, e := range earlier {
			if e.AttemptID == a.ID && e.State != commerce.RefundFailed {
				left -= e.Amount.Amount
			}
		}
		if len(r.Lines) > 0 || r.Amount.Currency != a.Paid.Currency || r.Amount.Amount > left {
			return r, false, fmt.Errorf("refund %s of attempt %s (%d left): %w", r.Amount, a.OutTradeNo, left, commerce.ErrRefundTooMuch)
		}
	} else {
		if !o.Paid.IsPaid() {
			return r, false, fmt.Errorf("refund of unpaid order %s: %w", o.Number, commerce.ErrInvalid)
		}
		if left := commerce.RefundableAmount(o, earlier); r.Amount.Amount > left {
			return r, false, fmt.Errorf("refund %s of order %s (%d left): %w", r.Amount, o.Number, left, commerce.ErrRefundTooMuch)
		}
		units := commerce.RefundableUnits(o, earlier)
		for _, l := range r.Lines {
			if l.LineNo < 1 || l.LineNo > len(o.Lines) || l.Qty < 1 {
				return r, false, fmt.Errorf("refund line %d × %d of order %s: %w", l.LineNo, l.Qty, o.Number, commerce.ErrInvalid)
			}
			if units[l.LineNo] -= l.Qty; units[l.LineNo] < 0 {
				return r, false, fmt.Errorf("refund line %d of order %s: %d units past what is left of %d: %w", l.LineNo, o.Number,
					-units[l.LineNo], o.Lines[l.LineNo-1].Qty, commerce.ErrRefundTooMuch)
			}
		}
	}
	lines := []byte("[]")
	if len(r.Lines) > 0 {
		lines, _ = json.Marshal(r.Lines) // ints always marshal
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.opts.Now()
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	r.OrderID = o.ID
	r.OutRefundNo = o.Number + "R" + strconv.Itoa(len(earlier)+1)
	r.DoneAt, r.ProviderID = time.Time{}, ""
	err = tx.QueryRowContext(ctx, `INSERT INTO refunds (order_id, attempt_id, method, out_refund_no, amount, currency, lines,
			reason, state, provider_id, idem_key, created_by, created_at, updated_at, done_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', $10, $11, $12, $13, 0) RETURNING id`,
		r.OrderID, r.AttemptID, string(r.Method), r.OutRefundNo, r.Amount.Amount, r.Amount.Currency, string(lines),
		r.Reason, string(r.State), r.Key, r.By, ms(r.CreatedAt), ms(r.UpdatedAt)).Scan(&r.ID)
	if err != nil {
		return r, false, fmt.Errorf("insert refund %s: %w", r.OutRefundNo, s.mapErr(err))
	}
	return r, true, s.emit(ctx, tx, commerce.RefundCreated{Order: o, Refund: r, Late: r.AttemptID != 0})
}

// SetRefundState implements commerce.PaymentFlowStore.
func (s *Store) SetRefundState(ctx context.Context, outRefundNo string, state commerce.RefundState, providerID string, at time.Time) (commerce.Refund, bool, error) {
	var r commerce.Refund
	changed := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		changed = false
		var done int64
		if state.Settled() {
			done = ms(at)
		}
		res, err := tx.ExecContext(ctx, `UPDATE refunds SET state = $1,
				provider_id = CASE WHEN $2 = '' THEN provider_id ELSE $2 END, updated_at = $3, done_at = $4
			WHERE out_refund_no = $5 AND state <> $1 AND state NOT IN ($6, $7)`,
			string(state), providerID, ms(at), done, outRefundNo, string(commerce.RefundSucceeded), string(commerce.RefundFailed))
		if err != nil {
			return fmt.Errorf("refund %s → %s: %w", outRefundNo, state, s.mapErr(err))
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		changed = n == 1
		if r, err = s.refundWhere(ctx, tx, `out_refund_no = $1`, outRefundNo); err != nil {
			return err
		}
		if !changed || !state.Settled() {
			return nil
		}
		o, err := s.orderWhere(ctx, tx, `id = $1`, r.OrderID)
		if err != nil {
			return err
		}
		return s.emit(ctx, tx, commerce.RefundSettled{Order: o, Refund: r})
	})
	return r, changed, err
}

// RefundByNo implements commerce.PaymentFlowStore.
func (s *Store) RefundByNo(ctx context.Context, outRefundNo string) (commerce.Refund, error) {
	return s.refundWhere(ctx, s.db, `out_refund_no = $1`, outRefundNo)
}

// Refunds implements commerce.PaymentFlowStore.
func (s *Store) Refunds(ctx context.Context, orderID int64) ([]commerce.Refund, error) {
	return queryList(ctx, s.db, fmt.Sprintf("refunds of order %d", orderID), scanRefund,
		`SELECT `+refundCols+` FROM refunds WHERE order_id = $1 ORDER BY id`, orderID)
}

// OpenRefunds implements commerce.PaymentFlowStore.
func (s *Store) OpenRefunds(ctx context.Context, before time.Time, limit int) ([]commerce.Refund, error) {
	return queryList(ctx, s.db, "open refunds", scanRefund, `SELECT `+refundCols+` FROM refunds
		WHERE method = $1 AND state IN ($2, $3) AND updated_at < $4 ORDER BY updated_at, id LIMIT $5`,
		string(commerce.PayWeChat), string(commerce.RefundRequested), string(commerce.RefundProcessing), ms(before), limit)
}

// ---- paying at the pickup counter (commerce/paycounter.go) ----

var _ commerce.CounterPayStore = (*Store)(nil)

// counterPayable reports whether attempt a pays order o at the counter:
// an open WeChat Native attempt of an unpaid order confirmed for pay at
// pickup and not yet handed over (o as read under the order's lock).
func counterPayable(o commerce.Order, a commerce.PayAttempt) bool {
	return !o.Paid.IsPaid() && commerce.AwaitsCounterPayment(o.Status) && a.State == commerce.AttemptOpen &&
		a.Method == commerce.PayWeChat && a.TradeType == commerce.TradeNative
}

// counterPaidTx touches the order paid at the counter (its payment columns
// were just set) and returns it as it is now.
func (s *Store) counterPaidTx(ctx context.Context, tx *sql.Tx, orderID int64, at time.Time) (commerce.Order, error) {
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET updated_at = $1 WHERE id = $2`, ms(at), orderID); err != nil {
		return commerce.Order{}, fmt.Errorf("order %d paid at the counter: %w", orderID, s.mapErr(err))
	}
	return s.orderWhere(ctx, tx, `id = $1`, orderID)
}

// BeginCounterPayment implements commerce.CounterPayStore.
func (s *Store) BeginCounterPayment(ctx context.Context, orderID int64, a commerce.PayAttempt) (commerce.PayAttempt, bool, error) {
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.opts.Now()
	}
	a.State = commerce.AttemptOpen
	a.Prepay, a.TransactionID, a.ProviderRef, a.Paid, a.PaidAt = "", "", "", commerce.Money{}, time.Time{}
	in := a
	var created bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		created, a = false, in
		o, err := s.lockPayOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		switch {
		case o.Paid.IsPaid() || o.Status == commerce.StatusPaid:
			return fmt.Errorf("order %s: %w", o.Number, commerce.ErrAlreadyPaid)
		case !commerce.AwaitsCounterPayment(o.Status):
			return fmt.Errorf("order %s is %s: pay at the counter: %w", o.Number, o.Status, commerce.ErrInvalidTransition)
		}
		open, err := s.openAttempt(ctx, tx, orderID, a)
		if err == nil {
			a = open
			return nil
		}
		if !errors.Is(err, commerce.ErrNotFound) {
			return err
		}
		a.Amount = o.Total
		if a, err = s.insertAttemptTx(ctx, tx, o, a); err != nil {
			return err
		}
		created = true
		return nil
	})
	return a, created, err
}

// CloseAttempt implements commerce.CounterPayStore.
func (s *Store) CloseAttempt(ctx context.Context, attemptID int64, at time.Time) (commerce.PayAttempt, bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE pay_attempts SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4`,
		string(commerce.AttemptClosed), ms(at), attemptID, string(commerce.AttemptOpen))
	if err != nil {
		return commerce.PayAttempt{}, false, fmt.Errorf("close attempt %d: %w", attemptID, s.mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return commerce.PayAttempt{}, false, err
	}
	a, err := s.attemptWhere(ctx, s.db, `id = $1`, attemptID)
	return a, n == 1, err
}

// openAttempt is the order's newest open attempt of a's method, trade
// type and payer (a pay button pressed again reuses it; a JSAPI
// transaction is bound to its payer's openid, so another WeChat user
// opening a forwarded pay link gets one of their own). ErrNotFound if none.
func (s *Store) openAttempt(ctx context.Context, tx *sql.Tx, orderID int64, a commerce.PayAttempt) (commerce.PayAttempt, error) {
	return s.attemptWhere(ctx, tx, `order_id = $1 AND method = $2 AND trade_type = $3 AND state = $4 AND payer = $5
		ORDER BY id DESC LIMIT 1`, orderID, string(a.Method), a.TradeType, string(commerce.AttemptOpen), a.Payer)
}
