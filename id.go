package tenure

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
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

// NewID returns "<prefix>_<26 chars>": 48 bits of milliseconds since the epoch then 80
// random bits, in Crockford base32, so ids sort by creation time and index appends stay
// local.
func NewID(prefix string, t time.Time) string {
	var raw [16]byte
	binary.BigEndian.PutUint64(raw[:8], uint64(t.UnixMilli())<<16)
	_, _ = rand.Read(raw[6:])
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

// HasPrefix reports whether id was made by NewID with prefix.
func HasPrefix(id, prefix string) bool {
	return len(id) == len(prefix)+27 && strings.HasPrefix(id, prefix) && id[len(prefix)] == '_'
}
