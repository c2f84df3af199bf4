package auth

import (
	"testing"
	"time"

	"github.com/berthdev/berth"
)

func TestIssueAndVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	iss := NewIssuer("org_1", "id", "secret", []byte("key"), clock)

	tok, expiresIn, err := iss.Issue("id", "secret")
	if err != nil || expiresIn != 10800 {
		t.Fatalf("Issue = %d, %v", expiresIn, err)
	}
	p, err := iss.Verify(tok)
	if err != nil || p.OrgID != "org_1" || p.ClientID != "id" || p.UserID != "id" {
		t.Fatalf("Verify = %+v, %v", p, err)
	}

	now = now.Add(time.Hour)
	again, left, _ := iss.Issue("id", "secret")
	if again != tok || left != 7200 {
		t.Fatalf("second Issue within the lifetime: same=%v left=%d; want the same token with 7200s left", again == tok, left)
	}

	now = now.Add(2*time.Hour + time.Second)
	if _, err := iss.Verify(tok); berth.ErrorCode(err) != berth.CodeUnauthorized {
		t.Fatalf("expired token: %v, want unauthorized", err)
	}
	fresh, left, _ := iss.Issue("id", "secret")
	if fresh == tok || left != 10800 {
		t.Fatal("an expired token was handed out again")
	}
}

func TestVerifyRefusesTampering(t *testing.T) {
	t.Parallel()
	iss := NewIssuer("org_1", "id", "secret", []byte("key"), nil)
	other := NewIssuer("org_1", "id", "secret", []byte("other key"), nil)
	otherOrg := NewIssuer("org_2", "id", "secret", []byte("key"), nil)
	tok, _, _ := iss.Issue("id", "secret")
	foreign, _, _ := other.Issue("id", "secret")
	wrongOrg, _, _ := otherOrg.Issue("id", "secret")
	for name, bad := range map[string]string{
		"other key": foreign, "other org": wrongOrg, "empty": "", "truncated": tok[:len(tok)-2],
		"two parts": "a.b", "payload swapped": tok[:len(tok)-10] + "AAAAAAAAAA",
	} {
		if _, err := iss.Verify(bad); berth.ErrorCode(err) != berth.CodeUnauthorized {
			t.Errorf("%s: %v, want unauthorized", name, err)
		}
	}
	if _, _, err := iss.Issue("id", "wrong"); berth.ErrorCode(err) != berth.CodeUnauthorized {
		t.Errorf("wrong secret: %v", err)
	}
}
