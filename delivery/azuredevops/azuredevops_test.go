package azuredevops_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/delivery/azuredevops"
	"github.com/berthdev/berth/signing"
)

var secret = []byte("my-client-secret")

type call struct {
	method, path, query string
	header              http.Header
	body                []byte
}

// fakeADO is an Azure DevOps incoming-webhook endpoint answering status.
func fakeADO(t *testing.T, status int) (*httptest.Server, func() []call) {
	var mu sync.Mutex
	var calls []call
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		calls = append(calls, call{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), b})
		mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []call { mu.Lock(); defer mu.Unlock(); return append([]call(nil), calls...) }
}

func deliver(t *testing.T, b *azuredevops.Backend, payload string) delivery.Result {
	t.Helper()
	return b.Deliver(context.Background(), delivery.Request{Run: &berth.Run{ID: "r_1"}, Payload: json.RawMessage(payload), Attempt: 1, OrgID: "org_1", ClientSecret: secret})
}

func TestPostsSignedPayloadToServiceHook(t *testing.T) {
	t.Parallel()
	srv, calls := fakeADO(t, 200)
	b, err := azuredevops.New(azuredevops.Config{BaseURL: srv.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	payload := `{"service":"svc-a","msg":"a<b & ü","port_context":{"runId":"r_1"}}`
	res := deliver(t, b, `{"type":"AZURE_DEVOPS","org":"my org","webhook":"port_trigger","payload":`+payload+`}`)
	if res.Outcome != delivery.Delivered || res.Finish != nil || res.StatusCode != 200 {
		t.Fatalf("result: %+v", res)
	}
	c := calls()[0]
	if c.method != "POST" || c.path != "/my%20org/_apis/public/distributedtask/webhooks/port_trigger" || c.query != "api-version=6.0-preview" {
		t.Fatalf("request: %s %s?%s", c.method, c.path, c.query)
	}
	if string(c.body) != payload || c.header.Get("Content-Type") != "application/json" {
		t.Fatalf("body %s, content type %q", c.body, c.header.Get("Content-Type"))
	}
	m := hmac.New(sha1.New, secret) // what Azure computes to check the header
	m.Write(c.body)
	if got, want := c.header.Get("x-port-signature"), hex.EncodeToString(m.Sum(nil)); got != want {
		t.Fatalf("x-port-signature %q, want %q", got, want)
	}
}

func TestV1SignatureScheme(t *testing.T) {
	t.Parallel()
	srv, calls := fakeADO(t, 202)
	b, err := azuredevops.New(azuredevops.Config{BaseURL: srv.URL, Signature: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	if res := deliver(t, b, `{"type":"AZURE_DEVOPS","org":"o","webhook":"w"}`); res.Outcome != delivery.Delivered {
		t.Fatalf("result: %+v", res)
	}
	c := calls()[0]
	if string(c.body) != "{}" {
		t.Fatalf("body without a payload: %s", c.body)
	}
	if err := signing.VerifyPortV1(secret, c.header.Get("X-Port-Signature"), c.header.Get("X-Port-Timestamp"), c.body, time.Minute, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestClassifiesAnswers(t *testing.T) {
	t.Parallel()
	for status, want := range map[int]delivery.Outcome{200: delivery.Delivered, 500: delivery.Retry, 429: delivery.Retry, 404: delivery.Failed, 401: delivery.Failed} {
		srv, _ := fakeADO(t, status)
		b, _ := azuredevops.New(azuredevops.Config{BaseURL: srv.URL})
		res := deliver(t, b, `{"type":"AZURE_DEVOPS","org":"o","webhook":"w","payload":{}}`)
		if res.Outcome != want {
			t.Errorf("%d: %v, want %v", status, res.Outcome, want)
		}
		if want == delivery.Failed && !strings.Contains(res.Error, "status code") {
			t.Errorf("%d: error %q", status, res.Error)
		}
	}
}

func TestRefusesBadNamesAndSettings(t *testing.T) {
	t.Parallel()
	srv, calls := fakeADO(t, 200)
	b, _ := azuredevops.New(azuredevops.Config{BaseURL: srv.URL})
	for _, p := range []string{`{"org":"","webhook":"w"}`, `{"org":"o","webhook":"../x"}`, `{"org":"..","webhook":"w"}`, `[]`} {
		if res := deliver(t, b, p); res.Outcome != delivery.Failed {
			t.Errorf("%s: %+v", p, res)
		}
	}
	if len(calls()) != 0 {
		t.Fatal("a bad invocation was sent")
	}
	if _, err := azuredevops.New(azuredevops.Config{Signature: "md5"}); err == nil || !strings.Contains(err.Error(), "BERTH_AZURE_DEVOPS_SIGNATURE") {
		t.Errorf("bad scheme: %v", err)
	}
	if _, err := azuredevops.New(azuredevops.Config{BaseURL: "dev.azure.com"}); err == nil || !strings.Contains(err.Error(), "BERTH_AZURE_DEVOPS_URL") {
		t.Errorf("bad URL: %v", err)
	}
}
