package console

import (
	"strings"
	"testing"
)

func TestPagesParse(t *testing.T) {
	t.Parallel()
	p, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range pageNames {
		if p[name] == nil || p[name].Lookup("content") == nil || p[name].Lookup("layout") == nil {
			t.Errorf("page %s lacks its layout or content", name)
		}
	}
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                         "/runs",
		"/runs?status=FAILURE":     "/runs?status=FAILURE",
		"/actions/deploy":          "/actions/deploy",
		"//evil.example/x":         "/runs",
		"/\\evil.example":          "/runs",
		"https://evil.example/":    "/runs",
		"javascript:alert(1)":      "/runs",
		"/signin":                  "/runs",
		"/runs\r\nSet-Cookie: x=y": "/runs",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLinkRuns(t *testing.T) {
	t.Parallel()
	got := string(linkRuns(`re-run of run r_0123456789abcdef by <b>eve</b> & r_short`))
	want := `re-run of run <a href="/runs/r_0123456789abcdef">r_0123456789abcdef</a> by &lt;b&gt;eve&lt;/b&gt; &amp; r_short`
	if got != want {
		t.Errorf("linkRuns:\n got %s\nwant %s", got, want)
	}
	if strings.Contains(string(linkRuns(`<script>`)), "<script>") {
		t.Error("linkRuns does not escape")
	}
}
