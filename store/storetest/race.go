//go:build race

package storetest

// rushBuyers under the race detector: 2,000 goroutines each running a
// transaction take too long with its overhead; 500 still outnumber the
// units five to one.
const rushBuyers = 500
