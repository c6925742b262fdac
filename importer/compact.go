package importer

import "math"

// idSet is a set of invoice ids kept compactly: an id of at most eight bytes without a NUL
// byte is packed into a uint64, a decimal id without leading zero up to 2^63-1 is stored
// as its value with the top bit set (bytes of text ids are below 0x80, so the top bit of a
// packed id is clear), and only other ids are kept as strings. Membership is exact.
type idSet struct {
	packed map[uint64]struct{}
	other  map[string]struct{}
}

func newIDSet() *idSet {
	return &idSet{packed: map[uint64]struct{}{}, other: map[string]struct{}{}}
}

func (s *idSet) add(id string) {
	if k, ok := packID(id); ok {
		s.packed[k] = struct{}{}
		return
	}
	s.other[id] = struct{}{}
}

func (s *idSet) has(id string) bool {
	if k, ok := packID(id); ok {
		_, found := s.packed[k]
		return found
	}
	_, found := s.other[id]
	return found
}

// len is the number of ids in the set.
func (s *idSet) len() int { return len(s.packed) + len(s.other) }

// packID is the exact uint64 form of id, when it has one (see idSet).
func packID(id string) (uint64, bool) {
	if n, ok := decimalID(id); ok {
		return n | 1<<63, true
	}
	if len(id) > 8 {
		return 0, false
	}
	var k uint64
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c == 0 || c >= 0x80 {
			return 0, false
		}
		k = k<<8 | uint64(c)
	}
	return k, true
}

// decimalID is the value of a decimal id without sign or leading zero, below 2^63.
func decimalID(id string) (uint64, bool) {
	if id == "" || len(id) > 19 || (id[0] == '0' && len(id) > 1) {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if n > math.MaxInt64 {
		return 0, false
	}
	return n, true
}

// interner numbers distinct strings 0, 1, 2, ... in the order first seen.
type interner struct {
	ids map[string]uint32
}

func newInterner() *interner { return &interner{ids: map[string]uint32{}} }

// id is s's number, taken if new.
func (n *interner) id(s string) uint32 {
	if v, ok := n.ids[s]; ok {
		return v
	}
	v := uint32(len(n.ids))
	n.ids[s] = v
	return v
}

// lookup is s's number if it has one.
func (n *interner) lookup(s string) (uint32, bool) {
	v, ok := n.ids[s]
	return v, ok
}
