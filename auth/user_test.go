package auth

import (
	"testing"
	"time"
)

func TestUserTokens(t *testing.T) {
	t.Parallel()
	iss := NewIssuer("org_1", "id", "secret", []byte("key"), func() time.Time { return time.Unix(1_700_000_000, 0) })
	machine, _, _ := iss.Issue("id", "secret")
	if p, err := iss.Verify(machine); err != nil || !p.Machine {
		t.Fatalf("org token: %+v, %v", p, err)
	}
	tok, expiresIn := iss.IssueUser("uc_1", "jane@example.com")
	p, err := iss.Verify(tok)
	if err != nil || p.Machine || p.UserID != "jane@example.com" || p.ClientID != "uc_1" || expiresIn != 10800 {
		t.Fatalf("user token: %+v, %v", p, err)
	}
	if again, _ := iss.IssueUser("uc_1", "jane@example.com"); again != tok {
		t.Fatal("one active token per credential pair")
	}
}
