//go:build !race

package storetest

// rushBuyers without the race detector: the 2,000 buyers.
const rushBuyers = 2000
