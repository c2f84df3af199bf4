package api

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/berthdev/berth"
)

// Every runs-list parameter that takes one of a few values refuses any
// other with a 422 that names the parameter.
func TestRunFilterRefusesUnknownValues(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		query, field, says string // field "": accepted
	}{
		{"status=BOGUS", "status", `"BOGUS" is not a run status: use WAITING_FOR_APPROVAL, IN_PROGRESS, SUCCESS, FAILURE, DECLINED`},
		{"status=success", "status", `"success"`},
		{"status=FAILURE&status=DONE", "status", `"DONE"`},
		{"status[]=NOPE", "status", `"NOPE"`},
		{"status=WAITING_FOR_APPROVAL&status=IN_PROGRESS&status=SUCCESS&status=FAILURE&status[]=DECLINED", "", ""},
		{"source=api", "source", "UI, API or AUTOMATION"},
		{"source=UI&source[]=AUTOMATION", "", ""},
		{"active=maybe", "active", "true or false"},
		{"limit=0", "limit", "1 to 1000"},
	} {
		_, err := runFilter(httptest.NewRequest("GET", "/v1/actions/runs?"+c.query, nil))
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
		if !strings.Contains(e.Fields[0].Message, c.says) {
			t.Errorf("%s: message %q does not say %q", c.query, e.Fields[0].Message, c.says)
		}
	}
}

func TestRunFilterReadsStatuses(t *testing.T) {
	t.Parallel()
	f, err := runFilter(httptest.NewRequest("GET", "/v1/actions/runs?status=FAILURE&status[]=DECLINED&active=true", nil))
	if err != nil || !slices.Equal(f.Statuses, []string{"FAILURE", "DECLINED"}) || !f.Active {
		t.Fatalf("filter %+v, %v", f, err)
	}
}
