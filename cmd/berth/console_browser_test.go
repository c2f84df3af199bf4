package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/berthdev/berth/internal/testenv"
)

// chromium returns the headless browser the console's browser tests drive:
// $BERTH_TEST_CHROMIUM, else the first of Debian's chromium and its usual
// other names on PATH.
func chromium() (string, bool) {
	if p := os.Getenv("BERTH_TEST_CHROMIUM"); p != "" {
		_, err := os.Stat(p)
		return p, err == nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// browser is a fresh headless Chromium with a laptop-sized window, closed
// when the test ends. JavaScript exceptions and errors the browser logs
// (a Content-Security-Policy violation, say) fail the test.
type browser struct {
	t     *testing.T
	ctx   context.Context
	shots string // where screenshots go
	n     int
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path, ok := chromium()
	testenv.Require(t, ok, "Chromium is not installed (apt-get install chromium, or set BERTH_TEST_CHROMIUM)")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 768),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancelTab)

	var mu sync.Mutex
	var problems []string
	err := chromedp.Listen(ctx, func(ev any) {
		var problem string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			problem = "exception: " + ev.ExceptionDetails.Text
			if ex := ev.ExceptionDetails.Exception; ex != nil {
				problem += " " + ex.Description
			}
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError {
				problem = fmt.Sprintf("%s error: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			}
		}
		if problem != "" {
			mu.Lock()
			problems = append(problems, problem)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("starting Chromium (%s): %v", path, err)
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Errorf("browser: %s", p)
		}
	})
	b := &browser{t: t, ctx: ctx, shots: t.ArtifactDir()}
	t.Logf("screenshots: %s", b.shots)
	return b
}

// do runs browser actions, failing the test on error.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.screenshot("failed")
		b.t.Fatalf("%s: %v", what, err)
	}
}

// follow runs actions that load a page (a click on a link or a button) and
// waits for that page, failing the test unless it loads with status 200.
func (b *browser) follow(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, actions...)
	if err != nil {
		b.screenshot("failed")
		b.t.Fatalf("%s: %v", what, err)
	}
	if resp.Status != 200 {
		b.screenshot("failed")
		b.t.Fatalf("%s: %s answered %d", what, resp.URL, resp.Status)
	}
}

// screenshot saves the whole page as NN-name.png in the test's artifact
// directory (kept with go test -artifacts).
func (b *browser) screenshot(name string) {
	b.t.Helper()
	b.n++
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	file := filepath.Join(b.shots, fmt.Sprintf("%02d-%s.png", b.n, name))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
	}
}

// text returns the text of the first element sel selects.
func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.screenshot("failed")
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// TestConsoleInBrowser drives the console in headless Chromium the way an
// operator would: sign in with the keyboard, find the failed run, read its
// delivery attempts and retry it, then watch the new attempt arrive.
func TestConsoleInBrowser(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	// The browser closes before the server stops: Chromium keeps
	// preconnected sockets, which a graceful shutdown waits 5s for.
	b := newBrowser(t)
	runID, rc := failedRun(t, s, "deploy_hook")
	healthy := newReceiver(t)
	s.do("POST", "/v1/actions", onService("audit_trail", "ENTITY_UPDATED", healthy.URL)).want(t, 201)
	s.do("PATCH", "/v1/blueprints/service/entities/checkout-deploy_hook", map[string]any{"title": "Checkout"}).want(t, 200)
	healthy.waitFor(t, 1)
	runLink := chromedp.CSS(`a[href="/runs/` + runID + `"]`)

	// Sign in: the runs page sends us to the form, and back after.
	b.do("open the console", chromedp.Navigate(s.URL+"/runs"), chromedp.WaitVisible(chromedp.ID("client_id")))
	b.screenshot("signin")
	b.do("type the client id", chromedp.SendKeys(chromedp.ID("client_id"), testClientID))
	b.follow("sign in with the keyboard", chromedp.SendKeys(chromedp.ID("client_secret"), testClientSecret+kb.Enter))
	b.do("see the runs", chromedp.WaitVisible(chromedp.CSS("table.runs")))
	if who := b.text(".who"); !strings.Contains(who, testClientID) {
		t.Fatalf("signed in as %q", who)
	}
	b.screenshot("runs")

	// Find the failed run.
	b.do("choose the status", chromedp.SetValue(chromedp.ID("f-status"), "FAILURE"))
	b.follow("filter to failed runs", chromedp.Click(chromedp.CSS("form.filters button[type=submit]")))
	b.do("see the failed run", chromedp.WaitVisible(runLink))
	if rows := b.text("#run-rows"); strings.Contains(rows, "audit_trail") || !strings.Contains(rows, "Failure") {
		t.Fatalf("failed runs list: %q", rows)
	}
	b.screenshot("failed-runs")

	// Read its attempts.
	b.follow("open the run", chromedp.Click(runLink))
	b.do("see its attempt", chromedp.WaitVisible(chromedp.ID("attempt-1")))
	if code := b.text("#attempt-1 .status-code"); code != "400" {
		t.Fatalf("attempt 1 status code %q, want 400", code)
	}
	if row := b.text("#attempt-1"); !strings.Contains(row, " ms") || !strings.Contains(row, "failed") || !strings.Contains(row, "bad request from the receiver") {
		t.Fatalf("attempt 1 shows %q: want its duration, outcome and response", row)
	}
	if status := b.text("#run-status"); status != "Failure" {
		t.Fatalf("run status %q", status)
	}
	b.screenshot("failed-run")

	// Retry it: the same run is delivered again, and the page shows the
	// new attempt when it lands (live, without reloading).
	// The receiver holds its answer until the page has loaded, so that the
	// attempt lands while the operator looks at the page.
	loaded := make(chan struct{})
	rc.setReply(`{"ok":true}`)
	rc.setHook(func(received) {
		select {
		case <-loaded:
		case <-time.After(20 * time.Second):
		}
	})
	b.follow("retry", chromedp.Click(chromedp.ID("retry-button")))
	b.do("see the notice", chromedp.WaitVisible(chromedp.CSS(".flash")),
		chromedp.Evaluate[chromedp.Void](`window.sameDocument = true`))
	close(loaded)
	got := rc.waitFor(t, 2)
	if got[1].Header.Get("webhook-id") != runID {
		t.Fatalf("the retry's webhook-id is %q, want the run id %s", got[1].Header.Get("webhook-id"), runID)
	}
	b.do("see the new attempt", chromedp.WaitVisible(chromedp.ID("attempt-2")))
	if code := b.text("#attempt-2 .status-code"); code != "200" {
		t.Fatalf("attempt 2 status code %q, want 200", code)
	}
	if same, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.sameDocument === true`)); err != nil || !same {
		t.Fatalf("the page reloaded instead of updating live (%v)", err)
	}
	if live := b.text("#live-status"); !strings.Contains(live, "Updated") {
		t.Fatalf("live status %q", live)
	}
	if logs := b.text("ol.logs"); !strings.Contains(logs, "delivery retried by "+testClientID) {
		t.Fatalf("logs: %q", logs)
	}
	b.screenshot("retried-run")

	// The automations, and the test panel of one: it renders the
	// automation against a recorded event.
	b.follow("open the automations", chromedp.Click(chromedp.CSS(`nav a[href="/automations"]`)))
	if list := b.text("table.actions"); !strings.Contains(list, "deploy_hook") || !strings.Contains(list, "audit_trail") {
		t.Fatalf("automations: %q", list)
	}
	b.screenshot("automations")
	b.follow("open the automation", chromedp.Click(chromedp.CSS(`th a[href="/actions/deploy_hook"]`)))
	b.follow("test it", chromedp.Click(chromedp.ID("test-button")))
	b.do("see the result", chromedp.WaitVisible(chromedp.ID("test-result")))
	if verdict := b.text("#result-title"); !strings.Contains(verdict, "it would fire") {
		t.Fatalf("test verdict %q", verdict)
	}
	b.screenshot("automation-test")
}
