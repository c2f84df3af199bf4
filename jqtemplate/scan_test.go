package jqtemplate

import (
	"slices"
	"testing"
)

func TestScan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s       string
		want    []string // jq texts
		wantErr string
	}{
		{s: "plain", want: nil},
		{s: "{{.a}}", want: []string{".a"}},
		{s: "x{{ .a }}y{{.b}}", want: []string{" .a ", ".b"}},
		{s: "{{{a}}}", want: []string{"{a"}},
		{s: "{{}}", want: []string{""}},
		{s: `{{ "}}" }}`, want: []string{` "}}" `}},
		{s: `{{ '{{' }}`, want: []string{` '{{' `}},
		{s: `{{ "\"}}" }}`, want: []string{` "\"}}" `}},
		{s: `\{{ .a }}`, want: []string{" .a "}}, // backslashes only count inside blocks
		{s: `{{ "a" + 'b }}`, wantErr: "Found opening double braces in index 0 without closing double braces"}, // unmatched quote
		{s: "😀{{", wantErr: "Found opening double braces in index 2 without closing double braces"},            // UTF-16 units
		{s: "a}}", wantErr: "Found closing double braces in index 1 without opening double braces"},
		{s: "{{{{", wantErr: "Found double braces in index 2 inside other one in index 0"},
		{s: "{{a}}}}", wantErr: "Found closing double braces in index 5 without opening double braces"},
	}
	for _, tt := range tests {
		blocks, err := scan(tt.s)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("scan(%q) error %v, want %q", tt.s, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("scan(%q): %v", tt.s, err)
			continue
		}
		var got []string
		for _, b := range blocks {
			got = append(got, tt.s[b.start:b.end])
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("scan(%q) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestRewriteQuotes(t *testing.T) {
	t.Parallel()
	// Expected values are what the reference's regular expression produces.
	tests := map[string]string{
		`'a'`:                   `"a"`,
		`'a' + 'b'`:             `"a" + "b"`,
		`'a' 'b'`:               `"a" 'b"`,
		`"it's"`:                `"it's"`,
		`['x', 'y']`:            `['x', "y']`,
		`' x'`:                  `" x"`,
		"\u00a0'a'\u3000":       "\u00a0\"a\"\u3000",
		"\u0085'a'":             "\u0085'a\"", // U+0085 is not JavaScript white space
		"\ufeff'a'":             "\ufeff\"a\"",
		`.a`:                    `.a`,
		`''`:                    `""`,
		`'`:                     `"`,
		` ' `:                   ` ' `,
		`x'"`:                   `x'"`,
		`'https://x.' + .name`:  `"https://x." + .name`,
		`.a | test('^b') | not`: `.a | test('^b') | not`,
		`.a | test( '^b' )`:     `.a | test( "^b" )`,
	}
	for in, want := range tests {
		if got := rewriteQuotes(in); got != want {
			t.Errorf("rewriteQuotes(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsSpreadKey(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]bool{
		"{{spreadValue()}}": true, " {{ spreadValue( ) }}\n": true, "{{\tspreadValue(\t)\t}}": true,
		"{{ spreadValue }}": false, "{{ spreadValue() | . }}": false, "x{{spreadValue()}}": false,
		"{{ spreadvalue() }}": false, "{{ spread Value() }}": false,
	} {
		if got := isSpreadKey(key); got != want {
			t.Errorf("isSpreadKey(%q) = %v", key, got)
		}
	}
}

func TestLocation(t *testing.T) {
	t.Parallel()
	loc := Location{}.child("body").child("my key").index(2).child("a/b~c").child("_x1")
	if loc.Path != `body["my key"][2]["a/b~c"]._x1` {
		t.Errorf("path %s", loc.Path)
	}
	if loc.Pointer != "/body/my key/2/a~1b~0c/_x1" {
		t.Errorf("pointer %s", loc.Pointer)
	}
	if s := (Location{Path: "a", Key: true}).String(); s != "a (key)" {
		t.Errorf("String() = %s", s)
	}
	if s := (Location{}).String(); s != "(root)" {
		t.Errorf("String() = %s", s)
	}
}
