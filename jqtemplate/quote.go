package jqtemplate

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// rewriteQuotes turns single-quoted jq string literals into double-quoted
// ones exactly as the reference does with the regular expression
//
//	/(^|\s)'(?!\s|")|(?<!\s|")'(\s|$)/g  →  '$1"$2'
//
// including its quirks: a "'" is an opening quote when it follows the start
// or a space that the previous match did not consume and is not followed by
// a space or '"'; it is a closing quote when it does not follow a space or
// '"' and is followed by a space or the end.
func rewriteQuotes(s string) string {
	if strings.IndexByte(s, '\'') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if n := matchOpening(s, i); n > 0 {
			b.WriteString(s[i : i+n-1])
			b.WriteByte('"')
			i += n
			continue
		}
		if n := matchClosing(s, i); n > 0 {
			b.WriteByte('"')
			b.WriteString(s[i+1 : i+n])
			i += n
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		b.WriteString(s[i : i+size])
		i += size
	}
	return b.String()
}

// matchOpening matches (^|\s)'(?!\s|") at i and returns its length, or 0.
func matchOpening(s string, i int) int {
	if i == 0 && s[0] == '\'' && !spaceOrDoubleQuoteAt(s, 1) {
		return 1
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	if !isJSSpace(r) || i+size >= len(s) || s[i+size] != '\'' {
		return 0
	}
	if spaceOrDoubleQuoteAt(s, i+size+1) {
		return 0
	}
	return size + 1
}

// matchClosing matches (?<!\s|")'(\s|$) at i and returns its length, or 0.
func matchClosing(s string, i int) int {
	if s[i] != '\'' {
		return 0
	}
	if i > 0 {
		r, _ := utf8.DecodeLastRuneInString(s[:i])
		if isJSSpace(r) || r == '"' {
			return 0
		}
	}
	if i+1 == len(s) {
		return 1
	}
	r, size := utf8.DecodeRuneInString(s[i+1:])
	if !isJSSpace(r) {
		return 0
	}
	return 1 + size
}

// spaceOrDoubleQuoteAt reports whether s has a space or '"' at i (the
// negative lookahead (?!\s|") fails there).
func spaceOrDoubleQuoteAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return r == '"' || isJSSpace(r)
}

// isJSSpace reports whether r is white space for JavaScript (\s and trim):
// Go's unicode.IsSpace minus U+0085, plus U+FEFF.
func isJSSpace(r rune) bool {
	switch r {
	case 0x85:
		return false
	case 0xFEFF:
		return true
	}
	return unicode.IsSpace(r)
}

// jsTrim trims white space as JavaScript's String.prototype.trim does.
func jsTrim(s string) string { return strings.TrimFunc(s, isJSSpace) }
