package jqtemplate

import (
	"fmt"
	"slices"
	"testing"
)

func TestObjectOrder(t *testing.T) {
	t.Parallel()
	o := NewObject(0)
	for _, k := range []string{"b", "10", "a", "2", "01", "4294967294", "4294967295", "-1", "1.0", "b"} {
		o.Set(k, k)
	}
	want := []string{"2", "10", "4294967294", "b", "a", "01", "4294967295", "-1", "1.0"}
	if got := o.Keys(); !slices.Equal(got, want) {
		t.Errorf("keys %q, want %q", got, want)
	}
	o.Set("a", 1)
	if v, ok := o.Get("a"); !ok || v != 1 {
		t.Errorf("Get(a) = %v, %v", v, ok)
	}
	if _, ok := o.Get("zz"); ok {
		t.Error("Get(zz) found")
	}
	if k, v := o.At(0); k != "2" || v != "2" {
		t.Errorf("At(0) = %q, %v", k, v)
	}
}

// TestObjectLarge crosses the size at which lookups use a map.
func TestObjectLarge(t *testing.T) {
	t.Parallel()
	var o Object
	for i := 40; i > 0; i-- {
		o.Set(fmt.Sprint("k", i), i)
		o.Set(fmt.Sprint(i), i)
	}
	o.Set("k7", "seven")
	if o.Len() != 80 {
		t.Fatalf("len %d", o.Len())
	}
	for i := 1; i <= 40; i++ {
		if k, _ := o.At(i - 1); k != fmt.Sprint(i) {
			t.Fatalf("At(%d) = %q", i-1, k)
		}
		if v, _ := o.Get(fmt.Sprint(i)); v != i {
			t.Fatalf("Get(%d) = %v", i, v)
		}
	}
	if v, _ := o.Get("k7"); v != "seven" {
		t.Errorf("Get(k7) = %v", v)
	}
	if k, _ := o.At(40); k != "k40" {
		t.Errorf("first string key %q", k)
	}
}

// TestObjectSpreadLargeArray spreads many index keys into an object that
// already has string keys, which must not take quadratic time.
func TestObjectSpreadLargeArray(t *testing.T) {
	t.Parallel()
	items := make([]any, 20000)
	for i := range items {
		items[i] = float64(i)
	}
	data, err := NewData(map[string]any{"items": items})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := CompileStrict([]byte(`{"a": 1, "{{ spreadValue() }}": "{{ .items }}", "z": 2}`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := tmpl.Render(t.Context(), data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := res.Value.(*Object)
	if k, v := o.At(19999); o.Len() != 20002 || k != "19999" || v != 19999.0 {
		t.Fatalf("len %d, At(19999) = %q, %v", o.Len(), k, v)
	}
	if v, _ := o.Get("12345"); v != 12345.0 {
		t.Errorf("Get(12345) = %v", v)
	}
	if k, _ := o.At(20000); k != "a" {
		t.Errorf("At(20000) = %q", k)
	}
}
