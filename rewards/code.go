package rewards

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tenure-loyalty/tenure"
)

// DefaultPattern gives eight letters or digits: 40 random bits.
const DefaultPattern = "********"

// MinPatternBits is the least randomness a pattern must carry, so that codes cannot be
// guessed and generating one rarely meets a code already issued.
const MinPatternBits = 32

// Alphabets of the pattern placeholders. Letters that read like digits (I, L, O, U) are
// left out, as in Crockford's base32.
const (
	digits   = "0123456789"
	letters  = "ABCDEFGHJKMNPQRSTVWXYZ"
	alphanum = digits + letters
)

func alphabet(r rune) string {
	switch r {
	case '#':
		return digits
	case '?':
		return letters
	case '*':
		return alphanum
	}
	return ""
}

// CheckPattern returns what is wrong with a code pattern, or "" if it is usable.
func CheckPattern(p string) string {
	if p == "" || len(p) > 64 {
		return "must be 1 to 64 characters"
	}
	bits := 0.0
	for i, r := range p {
		if a := alphabet(r); a != "" {
			bits += math.Log2(float64(len(a)))
			continue
		}
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Sprintf("character %d (%q) must be #, ?, *, a letter, a digit, - or _", i+1, r)
		}
	}
	if bits < MinPatternBits {
		return fmt.Sprintf("has %.0f random bits, needs at least %d (e.g. 7 * or 10 #)", bits, MinPatternBits)
	}
	return ""
}

// Generate fills a checked pattern's placeholders with characters chosen by pick, which
// returns a uniformly random integer in [0, n). The shell passes a cryptographic source.
func Generate(pattern string, pick func(n int) int) string {
	var b strings.Builder
	for _, r := range pattern {
		if a := alphabet(r); a != "" {
			b.WriteByte(a[pick(len(a))])
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// CheckPoolCodes normalizes codes the store uploads (trimmed, upper-cased) and names each
// that is empty, too long, oddly formed or repeated in the batch (the first 20 problems).
func CheckPoolCodes(codes []string) ([]string, error) {
	var p tenure.Problems
	switch {
	case len(codes) == 0:
		p.Add("codes", "must list at least one code")
	case len(codes) > MaxPoolBatch:
		p.Add("codes", "at most %d codes per upload", MaxPoolBatch)
	}
	out := make([]string, len(codes))
	seen := make(map[string]bool, len(codes))
	for i, c := range codes {
		if len(p) >= 20 {
			break
		}
		field := "codes[" + strconv.Itoa(i) + "]"
		c = strings.ToUpper(strings.TrimSpace(c))
		out[i] = c
		switch {
		case c == "" || len(c) > 64:
			p.Add(field, "must be 1 to 64 characters")
		case strings.IndexFunc(c, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0:
			p.Add(field, "must be printable ASCII without spaces")
		case seen[c]:
			p.Add(field, "repeats an earlier code")
		}
		seen[c] = true
	}
	return out, p.Err("rewards.CheckPoolCodes")
}
