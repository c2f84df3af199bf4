package delivery

import (
	"encoding/json"
	"testing"
)

func TestFlexBool(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]bool{`true`: true, `false`: false, `"true"`: true, `" TRUE "`: true,
		`"false"`: false, `"yes"`: false, `""`: false, `1`: false} {
		var b FlexBool
		if err := json.Unmarshal([]byte(raw), &b); err != nil || bool(b) != want {
			t.Errorf("%s → %v, %v; want %v", raw, b, err, want)
		}
	}
	var absent struct{ F *FlexBool }
	json.Unmarshal([]byte(`{"F":null}`), &absent)
	if absent.F != nil {
		t.Error("null should leave a *FlexBool unset, so callers apply their default")
	}
}
