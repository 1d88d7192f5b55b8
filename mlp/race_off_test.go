//go:build !race

package mlp

// raceEnabled reports a test binary built with the race detector, under
// which sync.Pool drops items at random: allocation counts mean nothing.
const raceEnabled = false
