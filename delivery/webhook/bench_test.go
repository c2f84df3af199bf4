package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/delivery/webhook"
	"github.com/berthdev/berth/netguard"
)

// benchBody is a typical rendered body: Port's legacy envelope, ~1 KiB.
var benchBody = `{"action":"deploy","resourceType":"run","status":"TRIGGERED","trigger":{"by":{"orgId":"org_1","userId":"auth0|1",` +
	`"user":{"email":"executor@example.com"}},"origin":"UI","at":"2024-01-01T00:00:00.000Z"},"context":{"entity":"svc-a",` +
	`"blueprint":"service","runId":"r_abc"},"payload":{"entity":{"identifier":"svc-a","title":"Svc A","blueprint":"service",` +
	`"team":[],"properties":{"language":"Go","tier":1,"owner":"platform","description":"` + strings.Repeat("x", 600) + `"},` +
	`"relations":{}},"properties":{"region":"eu-west-1","replicas":3}}}`

// BenchmarkLoopback compares webhook deliveries per second through the
// backend (render-free: signing, the netguard client, classification) with
// plain HTTP POSTs of the same body to the same loopback receiver, in one
// run. The target is webhook ≥ 50 % of raw (docs/BENCHMARKS.md).
func BenchmarkLoopback(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()

	b.Run("raw", func(b *testing.B) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}
		defer client.CloseIdleConnections()
		body := []byte(benchBody)
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/hook", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	})

	b.Run("webhook", func(b *testing.B) {
		client := netguard.NewClient(netguard.Guard{AllowPrivate: true}, 30*time.Second, 0)
		defer client.CloseIdleConnections()
		backend := webhook.New(client)
		payload, _ := json.Marshal(map[string]any{"type": "WEBHOOK", "url": srv.URL + "/hook",
			"headers": map[string]string{"RUN_ID": "r_abc"}, "body": json.RawMessage(benchBody)})
		req := delivery.Request{Run: &berth.Run{ID: "r_abc"}, Payload: payload, Attempt: 1, OrgID: "org_1", ClientSecret: []byte("my-client-secret")}
		b.ReportAllocs()
		b.SetBytes(int64(len(benchBody)))
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if res := backend.Deliver(context.Background(), req); res.Outcome != delivery.Delivered {
					b.Errorf("delivery: %+v", res)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	})
}
