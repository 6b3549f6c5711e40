package commerce

// PickupPoint is a physical counter in the buyer's city where orders are
// collected, tried on, returned and repaired.
type PickupPoint struct {
	ID       int64
	Code     string
	City     Text
	Name     Text
	Address  Text
	Hours    string // opening hours as shown to buyers, e.g. "10:00–21:00"
	TimeZone string // IANA zone, e.g. "Asia/Shanghai"
	Lat, Lon float64
	Active   bool
}
