package tenure

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

// ID prefixes name what an id refers to, so that a stray id in a log explains itself.
const (
	PrefixTenant   = "ten"
	PrefixKey      = "key"
	PrefixMember   = "mem"
	PrefixEvent    = "evt"
	PrefixOrder    = "ord"
	PrefixEntry    = "le"
	PrefixLot      = "lot"
	PrefixMessage  = "msg"
	PrefixWebhook  = "wh"
	PrefixDelivery = "dlv"
	PrefixJob      = "job"
	PrefixAudit    = "aud"
	PrefixTransfer = "trf"
)

const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

var idState struct {
	sync.Mutex
	ms     uint64
	hi, lo uint64 // the last id's 80 random bits: 16 in hi, 64 in lo
}

// NewID returns "<prefix>_<26 chars>": 48 bits of milliseconds since the epoch then 80
// bits, in Crockford base32, so ids sort by creation time and index appends stay local.
// The 80 bits are random for the first id of a millisecond and incremented for the next
// ones, so ids made by one process in the same millisecond keep their creation order.
func NewID(prefix string, t time.Time) string {
	ms := uint64(t.UnixMilli())
	idState.Lock()
	if ms == idState.ms {
		idState.lo++
		if idState.lo == 0 {
			idState.hi = (idState.hi + 1) & 0xffff
		}
	} else {
		var r [10]byte
		_, _ = rand.Read(r[:])
		idState.ms = ms
		idState.hi = uint64(binary.BigEndian.Uint16(r[:2])) & 0x7fff // headroom for increments
		idState.lo = binary.BigEndian.Uint64(r[2:])
	}
	hiBits, loBits := idState.hi, idState.lo
	idState.Unlock()
	var raw [16]byte
	binary.BigEndian.PutUint64(raw[:8], ms<<16|hiBits)
	binary.BigEndian.PutUint64(raw[8:], loBits)
	var b strings.Builder
	b.Grow(len(prefix) + 27)
	b.WriteString(prefix)
	b.WriteByte('_')
	// 128 bits -> 26 base32 chars (130 bits, top 2 bits zero).
	hi := binary.BigEndian.Uint64(raw[:8])
	lo := binary.BigEndian.Uint64(raw[8:])
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	b.Write(out[:])
	return b.String()
}

var seqState struct {
	sync.Mutex
	last int64
}

// NextSeq returns an arrival number: t in nanoseconds since the epoch, or one more than the
// last number this process returned when that is larger. Numbers from one process
// therefore increase strictly in call order, even with a clock that stands still or steps
// back; numbers from different processes follow their clocks.
func NextSeq(t time.Time) int64 {
	n := t.UnixNano()
	seqState.Lock()
	defer seqState.Unlock()
	if n <= seqState.last {
		n = seqState.last + 1
	}
	seqState.last = n
	return n
}

// HasPrefix reports whether id was made by NewID with prefix.
func HasPrefix(id, prefix string) bool {
	return len(id) == len(prefix)+27 && strings.HasPrefix(id, prefix) && id[len(prefix)] == '_'
}
