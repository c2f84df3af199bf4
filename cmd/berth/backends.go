package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/delivery/azuredevops"
	"github.com/berthdev/berth/delivery/github"
	"github.com/berthdev/berth/delivery/gitlab"
	"github.com/berthdev/berth/delivery/integration"
	"github.com/berthdev/berth/delivery/kafka"
	"github.com/berthdev/berth/delivery/upsert"
	"github.com/berthdev/berth/delivery/webhook"
	"github.com/berthdev/berth/seal"
	"github.com/berthdev/berth/store"
)

// backendsConfig configures the backends other than plain webhooks, from
// BERTH_* environment variables (docs/BACKENDS.md lists them). A backend
// that is not configured is still registered: its runs fail with a summary
// naming the settings that would enable it.
type backendsConfig struct {
	// Kafka is set when BERTH_KAFKA_BROKERS is.
	Kafka *kafka.Config
	// AgentStreamer is how agent: true webhook runs reach Port's execution
	// agent (BERTH_AGENT_STREAMER): KAFKA (the default when Kafka is
	// configured) publishes them to the runs topic, POLLING leaves them for
	// the agent to claim (POST /v1/actions/runs/claim-pending).
	AgentStreamer string
	// GitHub is set when BERTH_GITHUB_TOKEN or BERTH_GITHUB_APP_ID is.
	GitHub      *github.Config
	GitLab      gitlab.Config
	AzureDevOps azuredevops.Config
}

func parseBackends(getenv func(string) string) (backendsConfig, error) {
	var c backendsConfig
	var err error
	if brokers := getenv("BERTH_KAFKA_BROKERS"); brokers != "" {
		k := &kafka.Config{Brokers: splitList(brokers), Topic: getenv("BERTH_KAFKA_RUNS_TOPIC"),
			SASLMechanism: getenv("BERTH_KAFKA_SASL_MECHANISM"), Username: getenv("BERTH_KAFKA_USERNAME"), Password: getenv("BERTH_KAFKA_PASSWORD")}
		if k.DeliveryTimeout, err = envDuration(getenv, "BERTH_KAFKA_DELIVERY_TIMEOUT", 10*time.Second); err != nil {
			return c, err
		}
		if k.TLS, err = envBool(getenv, "BERTH_KAFKA_TLS"); err != nil {
			return c, err
		}
		c.Kafka = k
	}
	switch c.AgentStreamer = strings.ToUpper(getenv("BERTH_AGENT_STREAMER")); c.AgentStreamer {
	case "", "POLLING":
	case "KAFKA":
		if c.Kafka == nil {
			return c, fmt.Errorf("BERTH_AGENT_STREAMER=KAFKA needs BERTH_KAFKA_BROKERS")
		}
	default:
		return c, fmt.Errorf("BERTH_AGENT_STREAMER %q: want KAFKA or POLLING", c.AgentStreamer)
	}
	if getenv("BERTH_GITHUB_TOKEN") != "" || getenv("BERTH_GITHUB_APP_ID") != "" || getenv("BERTH_GITHUB_APP_PRIVATE_KEY") != "" {
		g := &github.Config{APIURL: getenv("BERTH_GITHUB_API_URL"), Token: getenv("BERTH_GITHUB_TOKEN"), AppID: getenv("BERTH_GITHUB_APP_ID")}
		if g.AppPrivateKey, err = pemSetting(getenv, "BERTH_GITHUB_APP_PRIVATE_KEY"); err != nil {
			return c, err
		}
		if g.PollInterval, err = envDuration(getenv, "BERTH_GITHUB_POLL_INTERVAL", 15*time.Second); err != nil {
			return c, err
		}
		c.GitHub = g
	}
	c.GitLab = gitlab.Config{URL: getenv("BERTH_GITLAB_URL"), Token: getenv("BERTH_GITLAB_TOKEN"), TriggerToken: getenv("BERTH_GITLAB_TRIGGER_TOKEN")}
	if c.GitLab.PollInterval, err = envDuration(getenv, "BERTH_GITLAB_POLL_INTERVAL", 15*time.Second); err != nil {
		return c, err
	}
	c.AzureDevOps = azuredevops.Config{BaseURL: getenv("BERTH_AZURE_DEVOPS_URL"), Signature: getenv("BERTH_AZURE_DEVOPS_SIGNATURE")}
	return c, nil
}

// pemSetting reads a PEM value given inline (with real or \n-escaped line
// breaks) or as the path of a file holding it.
func pemSetting(getenv func(string) string, name string) ([]byte, error) {
	v := strings.TrimSpace(getenv(name))
	switch {
	case v == "":
		return nil, nil
	case strings.HasPrefix(v, "-----BEGIN"):
		return []byte(strings.ReplaceAll(v, `\n`, "\n")), nil
	}
	b, err := os.ReadFile(v)
	if err != nil {
		return nil, fmt.Errorf("%s: neither a PEM key nor a readable file: %w", name, err)
	}
	return b, nil
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// registry builds every backend, keyed by invocation type. close releases
// what they hold (Kafka connections); call it after the engine stopped.
func (c backendsConfig) registry(webhookClient *http.Client, catalog upsert.Catalog, secrets gitlab.SecretLookup, log *slog.Logger) (reg delivery.Registry, close func(), err error) {
	close = func() {}
	webhooks := webhook.New(webhookClient)
	reg = delivery.Registry{"WEBHOOK": webhooks, "SLACK": webhooks, "JENKINS": webhooks,
		"UPSERT_ENTITY": upsert.New(catalog, log), "INTEGRATION_ACTION": integration.Backend{},
		"KAFKA":  delivery.Unavailable("KAFKA runs need a Kafka cluster: set BERTH_KAFKA_BROKERS"),
		"GITHUB": delivery.Unavailable("GITHUB runs need GitHub credentials: set BERTH_GITHUB_TOKEN, or BERTH_GITHUB_APP_ID and BERTH_GITHUB_APP_PRIVATE_KEY")}
	if c.Kafka != nil {
		k, err := kafka.New(*c.Kafka)
		if err != nil {
			return nil, close, err
		}
		close = k.Close
		reg["KAFKA"] = k
		webhooks.Agent = k
	}
	if c.AgentStreamer == "POLLING" {
		webhooks.Agent = integration.Agent{}
	}
	if c.GitHub != nil {
		if reg["GITHUB"], err = github.New(*c.GitHub); err != nil {
			return nil, close, err
		}
	}
	gl := c.GitLab
	gl.Secrets = secrets
	if reg["GITLAB"], err = gitlab.New(gl); err != nil {
		return nil, close, err
	}
	if reg["AZURE_DEVOPS"], err = azuredevops.New(c.AzureDevOps); err != nil {
		return nil, close, err
	}
	return reg, close, nil
}

// secretLookup reads organization secrets in clear, for backends that need
// one outside templates (GitLab trigger tokens).
func secretLookup(db *store.DB, key *seal.Key) gitlab.SecretLookup {
	return func(ctx context.Context, name string) (string, error) {
		_, sealed, err := db.Read().Secret(ctx, name)
		if err != nil {
			return "", err
		}
		plain, err := key.Open(sealed)
		return string(plain), err
	}
}
