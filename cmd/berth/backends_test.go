package main

import (
	"strings"
	"testing"
)

func TestBackendSettingsAreValidated(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		want string // "" when valid
	}{
		{map[string]string{}, ""},
		{map[string]string{"BERTH_KAFKA_BROKERS": "k1:9092, k2:9092", "BERTH_KAFKA_DELIVERY_TIMEOUT": "5s", "BERTH_AGENT_STREAMER": "kafka"}, ""},
		{map[string]string{"BERTH_AGENT_STREAMER": "KAFKA"}, "BERTH_KAFKA_BROKERS"},
		{map[string]string{"BERTH_AGENT_STREAMER": "carrier-pigeon"}, "BERTH_AGENT_STREAMER"},
		{map[string]string{"BERTH_KAFKA_BROKERS": "k:9092", "BERTH_KAFKA_TLS": "maybe"}, "BERTH_KAFKA_TLS"},
		{map[string]string{"BERTH_GITHUB_TOKEN": "t", "BERTH_GITHUB_POLL_INTERVAL": "often"}, "BERTH_GITHUB_POLL_INTERVAL"},
		{map[string]string{"BERTH_GITHUB_APP_ID": "1", "BERTH_GITHUB_APP_PRIVATE_KEY": "/no/such/key.pem"}, "BERTH_GITHUB_APP_PRIVATE_KEY"},
		{map[string]string{"BERTH_GITLAB_POLL_INTERVAL": "-1s"}, "BERTH_GITLAB_POLL_INTERVAL"},
	} {
		c, err := parseBackends(func(k string) string { return tc.env[k] })
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v", tc.env, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: %v, want an error naming %s", tc.env, err, tc.want)
		case tc.want == "" && tc.env["BERTH_KAFKA_BROKERS"] != "" && (c.Kafka == nil || len(c.Kafka.Brokers) != 2):
			t.Errorf("%v: kafka %+v", tc.env, c.Kafka)
		}
	}
	c, err := parseBackends(func(k string) string {
		return map[string]string{"BERTH_GITHUB_APP_ID": "1", "BERTH_GITHUB_APP_PRIVATE_KEY": `-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----`}[k]
	})
	if err != nil || !strings.Contains(string(c.GitHub.AppPrivateKey), "\nabc\n") {
		t.Fatalf("inline PEM with escaped line breaks: %v %q", err, c.GitHub.AppPrivateKey)
	}
}
