package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
)

// apiClient is a keep-alive HTTP client sized for parallel benchmarks.
var apiClient = &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}

func benchRequest(b *testing.B, s *testServer, method, path string, body []byte, want int) {
	req, _ := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := apiClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		b.Fatalf("%s %s: %d", method, path, resp.StatusCode)
	}
}

// apiBenchServer starts berth on SQLite with the tour's "service" blueprint.
func apiBenchServer(b *testing.B) *testServer {
	s := startServer(b)
	s.token = s.accessToken()
	benchRequest(b, s, "POST", "/v1/blueprints", []byte(`{"identifier":"service","title":"Service","schema":{"properties":{
		"language":{"type":"string","enum":["Go","Python"]},"replicas":{"type":"number","minimum":0}},"required":["language"]}}`), 201)
	return s
}

// BenchmarkAPIEntityCreate is entity creates through the HTTP API on SQLite,
// from parallel loopback clients (go test -bench APIEntity -cpu 2).
func BenchmarkAPIEntityCreate(b *testing.B) {
	s := apiBenchServer(b)
	var n atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			benchRequest(b, s, "POST", "/v1/blueprints/service/entities",
				fmt.Appendf(nil, `{"identifier":"svc-%d","title":"Service %d","properties":{"language":"Go","replicas":%d}}`, i, i, i%5), 201)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
}

// BenchmarkAPIEntityGet is entity reads through the HTTP API on SQLite.
func BenchmarkAPIEntityGet(b *testing.B) {
	s := apiBenchServer(b)
	for i := range 100 {
		benchRequest(b, s, "POST", "/v1/blueprints/service/entities",
			fmt.Appendf(nil, `{"identifier":"svc-%d","properties":{"language":"Go","replicas":1}}`, i), 201)
	}
	var n atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			benchRequest(b, s, "GET", fmt.Sprintf("/v1/blueprints/service/entities/svc-%d", n.Add(1)%100), nil, 200)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "gets/s")
}
