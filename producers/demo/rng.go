package demo

import (
	"hash/fnv"
	"strconv"
)

// rng is a small deterministic generator (splitmix64). Its sequence is
// fixed by this file, not by the Go release, so a seed gives the same demo
// data everywhere. Each project and purpose gets its own stream, so adding
// a project does not change the values of the others.
type rng struct{ state uint64 }

// newRNG returns the stream for the seed and the given labels.
func newRNG(seed uint64, labels ...string) *rng {
	h := fnv.New64a()
	_, _ = h.Write([]byte(strconv.FormatUint(seed, 10)))
	for _, l := range labels {
		_, _ = h.Write([]byte{0x1f})
		_, _ = h.Write([]byte(l))
	}
	return &rng{state: h.Sum64()}
}

func (r *rng) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// between returns an integer in [lo, hi].
func (r *rng) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + int(r.next()%uint64(hi-lo+1))
}

// pick returns one of the strings.
func (r *rng) pick(options ...string) string { return options[r.between(0, len(options)-1)] }
