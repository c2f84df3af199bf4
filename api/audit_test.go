package api

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/berthdev/berth"
)

// Every audit-log parameter that takes one of a few values refuses any
// other with a 422 that names the parameter and quotes the value, like
// limit, from and includes.
func TestAuditFilterRefusesUnknownValues(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		query, field, value string // field "": accepted
	}{
		{"actionType=x", "actionType", "x"},
		{"actionType=Automation", "actionType", "Automation"},
		{"actionType=automation&limit=1", "", ""},
		{"actionType=self-service", "", ""},
		{"status=MAYBE", "status", "MAYBE"},
		{"status=SUCCESS", "", ""},
		{"status=FAILURE&status=IN_PROGRESS", "status", "IN_PROGRESS"},
		{"resources=bogus", "resources", "bogus"},
		{"resources=run&resources=bogus", "resources", "bogus"},
		{"resources=blueprint&resources=entity&resources=run&resources=action", "", ""},
		{"resources=&status=&actionType=", "", ""}, // empty is absent, as for the others
		{"limit=0", "limit", ""},
		{"from=yesterday", "from", ""},
		{"includes=nothing", "includes", "nothing"},
	} {
		_, _, err := auditFilter(httptest.NewRequest("GET", "/v1/audit-log?"+c.query, nil))
		if c.field == "" {
			if err != nil {
				t.Errorf("%s: %v", c.query, err)
			}
			continue
		}
		e, ok := err.(*berth.Error)
		if !ok || e.Code != berth.CodeUnprocessable || len(e.Fields) != 1 || e.Fields[0].Field != c.field {
			t.Errorf("%s: got %#v, want a 422 naming %s", c.query, err, c.field)
			continue
		}
		if !strings.Contains(e.Fields[0].Message, `"`+c.value+`"`) && c.value != "" {
			t.Errorf("%s: message %q does not quote %q", c.query, e.Fields[0].Message, c.value)
		}
	}
}

func TestAuditFilterReadsActionType(t *testing.T) {
	t.Parallel()
	f, _, err := auditFilter(httptest.NewRequest("GET", "/v1/audit-log?actionType=self-service&resources=run&resources=&status=SUCCESS", nil))
	if err != nil || f.ActionType != berth.TriggerSelfService || !slices.Equal(f.Resources, []string{"run"}) || f.Status != "SUCCESS" {
		t.Fatalf("filter %+v, %v", f, err)
	}
}
