package wechatpay

import (
	"fmt"
	"time"
)

// chinaTime is the zone WeChat Pay writes its times in; time_expire is
// sent in it too ("2018-06-08T10:34:56+08:00", no fraction of a second).
var chinaTime = time.FixedZone("CST", 8*60*60)

const wireTimeLayout = "2006-01-02T15:04:05-07:00"

func formatWireTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(chinaTime).Format(wireTimeLayout)
}

// parseWireTime reads a time of WeChat Pay's answers; "" is the zero time.
func parseWireTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: %w", field, s, ErrMalformed)
	}
	return t, nil
}
