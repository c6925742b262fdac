package tenure

import (
	"strings"
	"unicode"
)

// foldPairs maps the accented Latin letters of European shoppers' names to the letters a
// search box is typed with: "Wójcik" is found by "wojcik", "Łukasz" by "lukasz".
var foldPairs = func() map[rune]string {
	m := map[rune]string{}
	for base, accented := range map[string]string{
		"a": "áàâäãåāăąǎ", "c": "çćĉċč", "d": "ďđð", "e": "éèêëēĕėęě", "g": "ĝğġģ", "h": "ĥħ",
		"i": "íìîïĩīĭįı", "j": "ĵ", "k": "ķ", "l": "ĺļľŀł", "n": "ñńņňŉ", "o": "óòôöõøōŏő",
		"r": "ŕŗř", "s": "śŝşšș", "t": "ţťŧț", "u": "úùûüũūŭůűų", "w": "ŵ", "y": "ýÿŷ", "z": "źżž",
		"ss": "ß", "ae": "æ", "oe": "œ", "th": "þ",
	} {
		for _, r := range accented {
			m[r] = base
			m[unicode.ToUpper(r)] = base
		}
	}
	return m
}()

// Fold returns s lower-cased with accents removed, for matching what people type against
// names and emails: Fold("Julia Wójcik") is "julia wojcik".
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if f, ok := foldPairs[r]; ok {
			b.WriteString(f)
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
