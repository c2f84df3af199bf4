package kafka_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/delivery/kafka"
	"github.com/berthdev/berth/delivery/webhook"
	"github.com/berthdev/berth/netguard"
	"github.com/berthdev/berth/signing"
)

var secret = []byte("my-client-secret")

const org = "org_1"

// cluster starts an in-process Kafka (kfake) with the org's runs topic.
func cluster(t *testing.T) []string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, org+".runs"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

func backend(t *testing.T, brokers []string, timeout time.Duration) *kafka.Backend {
	t.Helper()
	b, err := kafka.New(kafka.Config{Brokers: brokers, DeliveryTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

func request(runID, payload string) delivery.Request {
	return delivery.Request{Run: &berth.Run{ID: runID}, Payload: json.RawMessage(payload), Attempt: 1, OrgID: org, ClientSecret: secret}
}

// consume reads n records from the runs topic as a member of a consumer
// group, the way Port's agent and Kafka consumers read it.
func consume(t *testing.T, brokers []string, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumerGroup(org+".test-"+t.Name()),
		kgo.ConsumeTopics(org+".runs"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var recs []*kgo.Record
	for len(recs) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d records of %d: %v", len(recs), n, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Logf("fetch %s/%d: %v", topic, p, err) })
		recs = append(recs, fs.Records()...)
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}
	return recs
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

func TestPublishesKafkaPayloadSigned(t *testing.T) {
	t.Parallel()
	brokers := cluster(t)
	b := backend(t, brokers, 0)
	payload := `{"runId":"r_abc","inputs":{"msg":"a<b & ü","n":1.5}}`
	res := b.Deliver(context.Background(), request("r_abc", `{"type":"KAFKA","payload":`+payload+`}`))
	if res.Outcome != delivery.Delivered || res.Target != "kafka topic org_1.runs" || len(res.Logs) != 1 {
		t.Fatalf("result: %+v", res)
	}
	rec := consume(t, brokers, 1)[0]
	if rec.Topic != "org_1.runs" || string(rec.Key) != "r_abc" || string(rec.Value) != payload {
		t.Fatalf("record %s key %q value %s", rec.Topic, rec.Key, rec.Value)
	}
	err := signing.VerifyPortV1(secret, header(rec, "X-Port-Signature"), header(rec, "X-Port-Timestamp"), rec.Value, time.Minute, time.Now())
	if err != nil {
		t.Fatalf("record signature: %v", err)
	}
}

func TestKafkaPayloadDefaultsToEmptyObject(t *testing.T) {
	t.Parallel()
	brokers := cluster(t)
	b := backend(t, brokers, 0)
	if res := b.Deliver(context.Background(), request("r_1", `{"type":"KAFKA"}`)); res.Outcome != delivery.Delivered {
		t.Fatalf("result: %+v", res)
	}
	if rec := consume(t, brokers, 1)[0]; string(rec.Value) != "{}" {
		t.Fatalf("value %s", rec.Value)
	}
}

// agentInvocation is an agent: true webhook whose body is Port's legacy
// envelope, with values that differ between serializers: non-ASCII, HTML
// characters, floats Python prints differently from JavaScript, and a
// custom header.
const agentInvocation = `{"type":"WEBHOOK","url":"https://internal.example/hook","agent":"true","synchronized":true,
	"method":"put","headers":{"RUN_ID":"r_agent","X-Num":3},
	"body":{"action":"deploy","context":{"entity":"svc"},"payload":{"properties":{"msg":"a<b & ü ✓","ratio":0.00005,"big":1e21,"one":1.0,"n":2}},"z":[true,null]}}`

func TestAgentMessageVerifiesLikeTheAgent(t *testing.T) {
	t.Parallel()
	brokers := cluster(t)
	// Through the webhook backend: agent: true goes to Kafka, not the URL.
	wh := webhook.New(netguard.NewClient(netguard.Guard{}, time.Second, 0))
	wh.Agent = backend(t, brokers, 0)
	res := wh.Deliver(context.Background(), request("r_agent", agentInvocation))
	if res.Outcome != delivery.Delivered || res.Finish != nil {
		t.Fatalf("result: %+v", res)
	}
	rec := consume(t, brokers, 1)[0]
	if rec.Topic != "org_1.runs" || string(rec.Key) != "r_agent" {
		t.Fatalf("record %s key %q", rec.Topic, rec.Key)
	}
	t.Logf("message: %s", rec.Value)
	if err := verifyLikeAgent(rec.Value, secret, time.Now()); err != nil {
		t.Fatalf("Go re-implementation of the agent's check: %v", err)
	}
	if err := verifyWithPython(t, rec.Value); err != nil {
		t.Fatalf("Python (the agent's json.dumps): %v", err)
	}

	var msg struct {
		Action  string
		Context struct{ Entity, RunID string }
		Payload struct {
			Properties map[string]any
			Action     struct{ InvocationMethod map[string]any }
		}
		Headers map[string]string
	}
	if err := json.Unmarshal(rec.Value, &msg); err != nil {
		t.Fatal(err)
	}
	im := msg.Payload.Action.InvocationMethod
	if msg.Action != "deploy" || msg.Context.Entity != "svc" || msg.Context.RunID != "r_agent" ||
		msg.Payload.Properties["msg"] != "a<b & ü ✓" || im["type"] != "WEBHOOK" || im["url"] != "https://internal.example/hook" ||
		im["agent"] != true || im["synchronized"] != true || im["method"] != "PUT" ||
		msg.Headers["RUN_ID"] != "r_agent" || msg.Headers["X-Num"] != "3" {
		t.Fatalf("message: %s", rec.Value)
	}
	if !bytes.HasPrefix(rec.Value, []byte(`{"action":"deploy","context":{"entity":"svc","runId":"r_agent"},"payload":{"properties":`)) {
		t.Errorf("members moved: %s", rec.Value)
	}
}

// verifyLikeAgent is an independent implementation of spec 8.3: parse,
// take and remove the two signature headers, serialize the rest compactly
// in its original key order with non-ASCII unescaped, and compare HMACs.
func verifyLikeAgent(raw, secret []byte, now time.Time) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var sig, ts string
	var out bytes.Buffer
	var walk func(path string) error
	walk = func(path string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '[' {
				out.WriteByte('[')
				for i := 0; dec.More(); i++ {
					if i > 0 {
						out.WriteByte(',')
					}
					if err := walk(path + "[]"); err != nil {
						return err
					}
				}
				dec.Token()
				out.WriteByte(']')
				return nil
			}
			out.WriteByte('{')
			first := true
			for dec.More() {
				k, _ := dec.Token()
				key := k.(string)
				if path == ".headers" && (key == "X-Port-Signature" || key == "X-Port-Timestamp") {
					var s string
					if err := dec.Decode(&s); err != nil {
						return err
					}
					if key == "X-Port-Signature" {
						sig = s
					} else {
						ts = s
					}
					continue
				}
				if !first {
					out.WriteByte(',')
				}
				first = false
				writeJSONString(&out, key)
				out.WriteByte(':')
				if err := walk(path + "." + key); err != nil {
					return err
				}
			}
			dec.Token()
			out.WriteByte('}')
		case string:
			writeJSONString(&out, v)
		case json.Number:
			out.WriteString(v.String())
		case bool:
			fmt.Fprint(&out, v)
		case nil:
			out.WriteString("null")
		}
		return nil
	}
	if err := walk(""); err != nil {
		return err
	}
	if sig == "" || ts == "" {
		return fmt.Errorf("no signature headers in %s", raw)
	}
	m := hmac.New(sha256.New, secret)
	io.WriteString(m, ts+"."+out.String())
	if want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)); sig != want {
		return fmt.Errorf("signature %s, recomputed %s over %s", sig, want, out.String())
	}
	var sec int64
	fmt.Sscan(ts, &sec)
	if d := now.Sub(time.Unix(sec, 0)); d > time.Minute || d < -time.Minute {
		return fmt.Errorf("timestamp %s is %v from now", ts, d)
	}
	return nil
}

func writeJSONString(w *bytes.Buffer, s string) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	w.Write(bytes.TrimRight(b.Bytes(), "\n"))
}

// verifyWithPython runs the agent's own serialization in Python, when a
// python3 is installed.
func verifyWithPython(t *testing.T, raw []byte) error {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Log("python3 not found: skipping the Python check")
		return nil
	}
	script := `
import base64, hashlib, hmac, json, sys
msg = json.loads(sys.stdin.read())
sig = msg["headers"].pop("X-Port-Signature")
ts = msg["headers"].pop("X-Port-Timestamp")
body = json.dumps(msg, separators=(",", ":"), ensure_ascii=False)
want = "v1," + base64.b64encode(hmac.new(sys.argv[1].encode(), f"{ts}.{body}".encode(), hashlib.sha256).digest()).decode()
if not hmac.compare_digest(sig, want):
    sys.exit("signature %s, want %s over %s" % (sig, want, body))
`
	cmd := exec.Command(py, "-c", script, string(secret))
	cmd.Stdin = bytes.NewReader(raw)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

func TestAgentMessageNeedsAnObjectBody(t *testing.T) {
	t.Parallel()
	_, err := kafka.AgentMessage(json.RawMessage(`{"type":"WEBHOOK","url":"u","agent":true,"body":[1]}`), "r_1", secret, time.Now())
	if err == nil || !strings.Contains(err.Error(), "JSON object") {
		t.Fatalf("array body: %v", err)
	}
	msg, err := kafka.AgentMessage(json.RawMessage(`{"type":"WEBHOOK","url":"u","agent":true}`), "r_1", secret, time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"context":{"runId":"r_1"},"payload":{"action":{"invocationMethod":{"type":"WEBHOOK","url":"u","agent":true,"synchronized":false,"method":"POST","headers":{}}}},"headers":{"X-Port-Signature":"`
	if !strings.HasPrefix(string(msg), want) || !strings.HasSuffix(string(msg), `","X-Port-Timestamp":"1700000000"}}`) {
		t.Fatalf("message without a body:\n%s\nwant prefix\n%s", msg, want)
	}
}

func TestBrokerUnavailableIsRetried(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	b := backend(t, []string{addr}, time.Second)
	res := b.Deliver(context.Background(), request("r_1", `{"type":"KAFKA","payload":{}}`))
	if res.Outcome != delivery.Retry || !strings.Contains(res.Error, "Kafka") {
		t.Fatalf("broker down: %+v, want a retry", res)
	}
}

func TestConfigIsValidated(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  kafka.Config
		want string
	}{
		{kafka.Config{}, "BERTH_KAFKA_BROKERS"},
		{kafka.Config{Brokers: []string{"nohost"}}, "BERTH_KAFKA_BROKERS"},
		{kafka.Config{Brokers: []string{"h:9092"}, SASLMechanism: "GSSAPI"}, "BERTH_KAFKA_SASL_MECHANISM"},
		{kafka.Config{Brokers: []string{"h:9092"}, SASLMechanism: "SCRAM-SHA-512"}, "BERTH_KAFKA_USERNAME"},
	} {
		if _, err := kafka.New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error naming %s", tc.cfg, err, tc.want)
		}
	}
}
