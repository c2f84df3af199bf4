// Package kafka publishes runs to the organization's runs topic
// (`<org id>.runs`, spec 6.6) with an idempotent franz-go producer (acks=all),
// the run id as the message key:
//
//   - KAFKA invocations: the message is the rendered `payload`, as rendered.
//     berth does not add fields to it (the shape is the user's); the
//     message instead carries the record headers X-Port-Timestamp and
//     X-Port-Signature, the Port v1 signature (spec 8.2) of the message value,
//     for consumers that want to check it.
//   - agent: true WEBHOOK invocations (and the SLACK and JENKINS aliases),
//     for Port's execution agent (spec 13.1 row 17, appendix B): the rendered
//     body, with `context.runId`, `payload.action.invocationMethod` and a
//     signed `headers` object added, exactly as the agent verifies it (spec
//     8.3). See AgentMessage.
//
// A broker that does not answer within Config.DeliveryTimeout makes the
// attempt a Retry, retried like a webhook.
package kafka

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/signing"
)

// Config configures the producer. Brokers is required.
type Config struct {
	// Brokers are the seed brokers, host:port (BERTH_KAFKA_BROKERS, comma
	// separated).
	Brokers []string
	// Topic is the runs topic; "{org}" in it stands for the organization id
	// (BERTH_KAFKA_RUNS_TOPIC, default "{org}.runs").
	Topic string
	// DeliveryTimeout bounds one publish, waiting for brokers included;
	// past it the attempt is retried later (BERTH_KAFKA_DELIVERY_TIMEOUT,
	// default 10s).
	DeliveryTimeout time.Duration
	// ClientID names berth to the brokers (default "berth").
	ClientID string
	// TLS turns TLS on (BERTH_KAFKA_TLS=true).
	TLS bool
	// SASLMechanism is "", "PLAIN", "SCRAM-SHA-256" or "SCRAM-SHA-512"
	// (BERTH_KAFKA_SASL_MECHANISM), with Username and Password
	// (BERTH_KAFKA_USERNAME, BERTH_KAFKA_PASSWORD).
	SASLMechanism string
	Username      string
	Password      string
	// Now is the clock signatures are made with (default time.Now).
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	c.Topic = cmp.Or(c.Topic, "{org}.runs")
	c.DeliveryTimeout = cmp.Or(c.DeliveryTimeout, 10*time.Second)
	c.ClientID = cmp.Or(c.ClientID, "berth")
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

func (c Config) validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("BERTH_KAFKA_BROKERS: at least one broker (host:port) is required")
	}
	for _, b := range c.Brokers {
		if _, _, err := splitHostPort(b); err != nil {
			return fmt.Errorf("BERTH_KAFKA_BROKERS: %q is not host:port", b)
		}
	}
	if c.DeliveryTimeout < time.Second {
		return errors.New("BERTH_KAFKA_DELIVERY_TIMEOUT: must be at least 1s")
	}
	switch strings.ToUpper(c.SASLMechanism) {
	case "":
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if c.Username == "" {
			return errors.New("BERTH_KAFKA_USERNAME: required with BERTH_KAFKA_SASL_MECHANISM")
		}
	default:
		return fmt.Errorf("BERTH_KAFKA_SASL_MECHANISM %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", c.SASLMechanism)
	}
	return nil
}

func splitHostPort(s string) (string, int, error) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return "", 0, errors.New("no port")
	}
	port, err := strconv.Atoi(s[i+1:])
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, errors.New("bad port")
	}
	return s[:i], port, nil
}

// Backend publishes KAFKA invocations and agent: true webhook invocations.
// It is safe for concurrent use; Close it after the engine stops.
type Backend struct {
	cfg    Config
	client *kgo.Client
}

var _ delivery.Backend = (*Backend)(nil)

// New returns a Backend producing to cfg.Brokers. It does not connect: the
// first publish does, so a broker that is down at start-up only delays runs.
func New(cfg Config) (*Backend, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ClientID(cfg.ClientID),
		kgo.RequiredAcks(kgo.AllISRAcks()), // with idempotent writes, franz-go's default
		kgo.RecordDeliveryTimeout(cfg.DeliveryTimeout),
		kgo.ProducerLinger(0), // one run at a time: do not wait for a batch to fill
		kgo.AllowAutoTopicCreation(),
	}
	if cfg.TLS {
		opts = append(opts, kgo.DialTLSConfig(&tls.Config{MinVersion: tls.VersionTLS12}))
	}
	if m := mechanism(cfg); m != nil {
		opts = append(opts, kgo.SASL(m))
	}
	client, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	return &Backend{cfg: cfg, client: client}, nil
}

func mechanism(c Config) sasl.Mechanism {
	switch strings.ToUpper(c.SASLMechanism) {
	case "PLAIN":
		return plain.Auth{User: c.Username, Pass: c.Password}.AsMechanism()
	case "SCRAM-SHA-256":
		return scram.Auth{User: c.Username, Pass: c.Password}.AsSha256Mechanism()
	case "SCRAM-SHA-512":
		return scram.Auth{User: c.Username, Pass: c.Password}.AsSha512Mechanism()
	}
	return nil
}

// Close flushes nothing (every publish is synchronous) and closes the
// connections.
func (b *Backend) Close() { b.client.Close() }

// Topic returns the runs topic of an organization.
func (b *Backend) Topic(orgID string) string { return strings.ReplaceAll(b.cfg.Topic, "{org}", orgID) }

// Deliver publishes the run's message and waits for all in-sync replicas
// to have it.
func (b *Backend) Deliver(ctx context.Context, req delivery.Request) delivery.Result {
	topic := b.Topic(req.OrgID)
	now := b.cfg.Now()
	var value []byte
	var err error
	if typ := delivery.InvocationType(req.Payload); typ == "KAFKA" {
		value, err = kafkaMessage(req.Payload)
	} else {
		value, err = AgentMessage(req.Payload, req.Run.ID, req.ClientSecret, now)
	}
	if err != nil {
		return delivery.Result{Outcome: delivery.Failed, Target: "kafka topic " + topic, Error: err.Error()}
	}
	ts := now.Unix()
	rec := &kgo.Record{Topic: topic, Key: []byte(req.Run.ID), Value: value, Headers: []kgo.RecordHeader{
		{Key: signing.HeaderPortTimestamp, Value: []byte(strconv.FormatInt(ts, 10))},
		{Key: signing.HeaderPortSignature, Value: []byte(signing.PortV1(req.ClientSecret, ts, value))},
	}}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.DeliveryTimeout)
	defer cancel()
	r, err := b.client.ProduceSync(ctx, rec).First()
	if err != nil {
		return produceFailure(topic, err)
	}
	return delivery.Result{Outcome: delivery.Delivered, Target: "kafka topic " + topic,
		Logs: []string{fmt.Sprintf("Published the run to Kafka topic %s (partition %d, offset %d)", topic, r.Partition, r.Offset)}}
}

// produceFailure classifies a produce error: a message the brokers will
// never take fails the run, anything else (brokers down, leaders moving,
// timeouts) is retried.
func produceFailure(topic string, err error) delivery.Result {
	res := delivery.Result{Outcome: delivery.Retry, Target: "kafka topic " + topic, Error: "publishing to Kafka failed: " + err.Error()}
	for _, permanent := range []error{kerr.MessageTooLarge, kerr.RecordListTooLarge, kerr.InvalidTopicException,
		kerr.InvalidRecord, kerr.CorruptMessage, kerr.TopicAuthorizationFailed, kerr.ClusterAuthorizationFailed} {
		if errors.Is(err, permanent) {
			res.Outcome = delivery.Failed
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, kgo.ErrRecordTimeout) {
		res.Error = "publishing to Kafka timed out: no broker took the message in time"
	}
	return res
}

// kafkaMessage is the message of a KAFKA invocation: its rendered payload
// as rendered ({} when it has none).
func kafkaMessage(payload json.RawMessage) ([]byte, error) {
	var inv struct {
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(payload, &inv); err != nil {
		return nil, errors.New("the rendered invocation is not a KAFKA invocation: " + err.Error())
	}
	if len(inv.Payload) == 0 || string(inv.Payload) == "null" {
		return []byte("{}"), nil
	}
	return compact(inv.Payload)
}
