package seal

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestSealRoundTrip(t *testing.T) {
	t.Parallel()
	k, err := ParseKey(GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	a, b := k.Seal([]byte("hunter2")), k.Seal([]byte("hunter2"))
	if a == b || strings.Contains(a, "hunter2") {
		t.Fatalf("sealing must be randomized and opaque: %q %q", a, b)
	}
	got, err := k.Open(a)
	if err != nil || string(got) != "hunter2" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, _ := ParseKey(GenerateKey())
	if _, err := other.Open(a); !errors.Is(err, ErrOpen) {
		t.Fatalf("another key opened it: %v", err)
	}
	once, again := k.Check(), k.Check()
	if once == other.Check() || once != again {
		t.Fatal("Check must tell keys apart and be stable")
	}
	for _, bad := range []string{"", "short", "!!!", strings.Repeat("A", 40)} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
		if _, err := k.Open(bad); !errors.Is(err, ErrOpen) {
			t.Errorf("Open(%q) = %v", bad, err)
		}
	}
}

func TestMasker(t *testing.T) {
	t.Parallel()
	m := NewMasker("s3cr3t", "", "s3cr3t-long", `q"<&>`)
	if got := m.String("a s3cr3t-long and s3cr3t"); got != "a **** and ****" {
		t.Errorf("String = %q", got)
	}
	for _, tc := range []struct{ in, want string }{
		{`{"b":"Bearer s3cr3t","a":[1,2.50,true,null,{"s3cr3t":"x"}]}`, `{"b":"Bearer ****","a":[1,2.50,true,null,{"****":"x"}]}`},
		{`{"h":"q\"\u003c\u0026>"}`, `{"h":"****"}`},
		{`"plain"`, `"plain"`},
		{`[]`, `[]`},
		{`not json s3cr3t`, `not json ****`},
	} {
		got := m.JSON(json.RawMessage(tc.in))
		if string(got) != tc.want {
			t.Errorf("JSON(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	var zero Masker
	if string(zero.JSON(json.RawMessage(`{"a": 1}`))) != `{"a": 1}` {
		t.Error("the zero Masker must leave JSON untouched")
	}
}
