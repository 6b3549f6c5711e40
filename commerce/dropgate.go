package commerce

import (
	"context"
	"time"
)

// DropGateSource is what the gate is repaired from: the store's truth.
type DropGateSource interface {
	// DropBuyerTaken returns the units buyer holds in the drop (0 when none).
	DropBuyerTaken(ctx context.Context, dropID int64, buyer Buyer) (int, error)
	// DropBuyerCounts returns the units each buyer holding any holds, by Buyer.Key.
	DropBuyerCounts(ctx context.Context, dropID int64) (map[string]int, error)
	// LiveDrops lists drops that started at or before now, in the last 30
	// days, with units left.
	LiveDrops(ctx context.Context, now time.Time) ([]Drop, error)
}

// gateRepairAfter is how long the gate must count a buyer above the store
// before the difference is given back. An admission in flight does so for
// milliseconds; only one that never reached the store (the process killed
// between gate and store) or a give-back that failed does so for long.
const gateRepairAfter = 30 * time.Second

// RepairGates gives back to the gate the units of admissions that never
// became reservations: for each live drop, each buyer the gate has counted
// above the store since an earlier call at least gateRepairAfter ago gets
// the smallest difference seen returned (the counter rises, the buyer's
// count falls). Called by the periodic safety net; reports the units given
// back. Without a gate it does nothing.
func (s *DropService) RepairGates(ctx context.Context) (int, error) {
	if s.gate == nil {
		return 0, nil
	}
	now := s.clock.Now()
	drops, err := s.store.LiveDrops(ctx, now)
	if err != nil {
		return 0, err
	}
	s.repairMu.Lock()
	defer s.repairMu.Unlock()
	seen := map[gateGapKey]gateGap{}
	given := 0
	for _, d := range drops {
		admitted, err := s.gate.Admitted(ctx, d.Code)
		if err != nil || len(admitted) == 0 {
			continue // unreachable or empty: the store decides meanwhile
		}
		held, err := s.store.DropBuyerCounts(ctx, d.ID)
		if err != nil {
			return given, err
		}
		for buyer, n := range admitted {
			if n <= held[buyer] {
				continue
			}
			k := gateGapKey{d.Code, buyer}
			gap := gateGap{since: now, units: n - held[buyer]}
			if prev, ok := s.gaps[k]; ok {
				gap.since, gap.units = prev.since, min(prev.units, gap.units)
			}
			if now.Sub(gap.since) < gateRepairAfter {
				seen[k] = gap
				continue
			}
			if err := s.gate.Return(ctx, d.Code, buyer, gap.units); err != nil {
				s.log.Warn("drop gate repair failed", "drop", d.Code, "err", err)
				seen[k] = gap
				continue
			}
			given += gap.units
		}
	}
	if given > 0 {
		s.log.Info("drop gate repaired: admissions that never reached the store given back", "units", given)
	}
	s.gaps = seen
	return given, nil
}

type gateGapKey struct{ code, buyer string }

// gateGap is a buyer the gate was seen counting above the store.
type gateGap struct {
	since time.Time
	units int
}
