package jqtemplate

import (
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// block is one {{ }} block of a template string: s[start:end] is the jq text.
// The delimiters are s[start-2:start] and s[end:end+2], except that for "{{{"
// the block starts at the third brace (it belongs to the jq text).
type block struct{ start, end int }

// scanError is a structural error of a template string. Index is a byte
// offset; Error reports it in UTF-16 code units, as the reference does.
type scanError struct {
	src    string
	format string // one or two %d verbs, filled with indices
	at     []int  // byte offsets
}

func (e *scanError) Error() string {
	args := make([]any, len(e.at))
	for i, at := range e.at {
		args[i] = utf16Index(e.src, at)
	}
	return fmt.Sprintf(e.format, args...)
}

// scan finds the {{ }} blocks of s exactly as the reference's
// findInsideDoubleBracesIndices does: inside a block, text between matching
// quotes is skipped and a backslash skips the next byte; "{{{" opens a block
// at its third brace; "}}}" closes a block at its first two.
func scan(s string) ([]block, error) {
	var blocks []block
	open := -1     // start of the open block's jq text, -1 outside blocks
	var quote byte // quote character of the open string literal, 0 if none
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case open >= 0 && c == '\\':
			i++
		case open >= 0 && (c == '"' || c == '\''):
			if quote == 0 {
				quote = c
			} else if quote == c {
				quote = 0
			}
		case quote == 0 && c == '{' && i > 0 && s[i-1] == '{':
			if open >= 0 {
				return nil, &scanError{s, "Found double braces in index %d inside other one in index %d", []int{i - 1, open - 2}}
			}
			open = i + 1
			if i+1 < len(s) && s[i+1] == '{' {
				i++
			}
		case quote == 0 && c == '}' && i > 0 && s[i-1] == '}':
			if open < 0 {
				return nil, &scanError{s, "Found closing double braces in index %d without opening double braces", []int{i - 1}}
			}
			blocks = append(blocks, block{open, i - 1})
			open = -1
			if i+1 < len(s) && s[i+1] == '}' {
				i++
			}
		}
	}
	if open >= 0 {
		return nil, &scanError{s, "Found opening double braces in index %d without closing double braces", []int{open - 2}}
	}
	return blocks, nil
}

// utf16Index converts a byte offset of s to an offset in UTF-16 code units,
// the unit of JavaScript string indices.
func utf16Index(s string, at int) int {
	n := 0
	for _, r := range s[:at] {
		if r == utf8.RuneError {
			n++
			continue
		}
		n += utf16.RuneLen(r)
	}
	return n
}
