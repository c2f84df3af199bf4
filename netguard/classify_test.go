package netguard

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ip     string
		reason string // "" for a public address
		kind   kind
	}{
		// IPv4 public.
		{"8.8.8.8", "", 0},
		{"1.1.1.1", "", 0},
		{"172.32.0.1", "", 0},  // just past 172.16/12
		{"100.128.0.1", "", 0}, // just past 100.64/10
		{"169.253.255.255", "", 0},
		{"223.255.255.255", "", 0},
		// IPv4 special.
		{"127.0.0.1", "loopback address", internal},
		{"127.255.255.254", "loopback address", internal},
		{"10.1.2.3", "private address", internal},
		{"172.16.0.1", "private address", internal},
		{"172.31.255.255", "private address", internal},
		{"192.168.1.1", "private address", internal},
		{"100.64.0.1", "shared address (CGNAT)", internal},
		{"100.127.255.255", "shared address (CGNAT)", internal},
		{"169.254.1.1", "link-local address", internal},
		{"169.254.169.254", "cloud metadata address", forbidden},
		{"169.254.170.2", "cloud metadata address", forbidden},
		{"100.100.100.200", "cloud metadata address", forbidden},
		{"0.0.0.0", "unspecified address", internal},
		{"0.1.2.3", "unspecified address", internal},
		{"192.0.0.8", "IETF protocol assignment address", internal},
		{"192.0.2.1", "documentation address", internal},
		{"198.18.0.1", "benchmarking address", internal},
		{"224.0.0.1", "multicast address", forbidden},
		{"239.255.255.250", "multicast address", forbidden},
		{"240.0.0.1", "reserved address", forbidden},
		{"255.255.255.255", "reserved address", forbidden},
		// IPv6 public.
		{"2606:4700:4700::1111", "", 0},
		{"2a00:1450:4001:82b::200e", "", 0},
		// IPv6 special.
		{"::1", "loopback address", internal},
		{"::", "unspecified address", internal},
		{"fc00::1", "private address (IPv6 unique local)", internal},
		{"fd12:3456:789a::1", "private address (IPv6 unique local)", internal},
		{"fe80::1", "link-local address", internal},
		{"fe80::1%eth0", "link-local address", internal}, // zones never match a prefix unless stripped
		{"fec0::1", "site-local address", internal},
		{"ff02::1", "multicast address", forbidden},
		{"fd00:ec2::254", "cloud metadata address", forbidden},
		{"2001:db8::1", "documentation address", internal},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo address", internal},
		{"::127.0.0.1", "IPv4-compatible address", internal},
		{"64:ff9b:1::a", "local-use NAT64 address", internal},
		{"100::1", "discard-only address", internal},
		// IPv4 embedded in IPv6: judged as the IPv4 address.
		{"::ffff:127.0.0.1", "loopback address", internal},
		{"::ffff:7f00:1", "loopback address", internal},
		{"::ffff:10.0.0.1", "private address", internal},
		{"::ffff:169.254.169.254", "cloud metadata address", forbidden},
		{"::ffff:8.8.8.8", "", 0},
		{"64:ff9b::127.0.0.1", "loopback address", internal},
		{"64:ff9b::a9fe:a9fe", "cloud metadata address", forbidden},
		{"64:ff9b::8.8.8.8", "", 0},
		{"2002:7f00:1::1", "loopback address", internal},
		{"2002:c0a8:101::1", "private address", internal},
		{"2002:808:808::1", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			t.Parallel()
			s, ok := classify(netip.MustParseAddr(tt.ip))
			if ok != (tt.reason != "") || s.reason != tt.reason || s.kind != tt.kind {
				t.Errorf("classify(%s) = %q kind %d (special %v), want %q kind %d", tt.ip, s.reason, s.kind, ok, tt.reason, tt.kind)
			}
		})
	}
}

func TestGuardCheck(t *testing.T) {
	t.Parallel()
	prefixes := func(s string) []netip.Prefix {
		p, err := ParsePrefixes(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name  string
		guard Guard
		ip    string
		want  string // substring of the error, "" for allowed
	}{
		{"public by default", Guard{}, "93.184.215.14", ""},
		{"loopback by default", Guard{}, "127.0.0.1", "loopback address (set BERTH_ALLOW_PRIVATE_TARGETS=true to allow)"},
		{"mapped loopback by default", Guard{}, "::ffff:127.0.0.1", "loopback address"},
		{"loopback allowed", Guard{AllowPrivate: true}, "127.0.0.1", ""},
		{"ULA allowed", Guard{AllowPrivate: true}, "fd00::1", ""},
		{"metadata despite AllowPrivate", Guard{AllowPrivate: true}, "169.254.169.254", "cloud metadata address (only an explicit allow-list entry allows it)"},
		{"mapped metadata despite AllowPrivate", Guard{AllowPrivate: true}, "::ffff:169.254.169.254", "cloud metadata address"},
		{"multicast despite AllowPrivate", Guard{AllowPrivate: true}, "224.0.0.1", "multicast address"},
		{"metadata explicitly allowed", Guard{Allow: prefixes("169.254.169.254")}, "169.254.169.254", ""},
		{"allow list", Guard{Allow: prefixes("10.1.0.0/16")}, "10.1.2.3", ""},
		{"allow list covers mapped form", Guard{Allow: prefixes("10.1.0.0/16")}, "::ffff:10.1.2.3", ""},
		{"outside allow list", Guard{Allow: prefixes("10.1.0.0/16")}, "10.2.0.1", "private address"},
		{"deny wins over allow", Guard{Allow: prefixes("10.0.0.0/8"), Deny: prefixes("10.1.0.0/16")}, "10.1.2.3", "address in the deny list (10.1.0.0/16)"},
		{"deny wins over AllowPrivate", Guard{AllowPrivate: true, Deny: prefixes("127.0.0.0/8")}, "127.0.0.1", "deny list"},
		{"deny a public address", Guard{Deny: prefixes("93.184.215.0/24")}, "93.184.215.14", "deny list"},
		{"deny covers mapped form", Guard{Deny: prefixes("93.184.215.0/24")}, "::ffff:93.184.215.14", "deny list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.guard.Check(netip.MustParseAddr(tt.ip))
			if tt.want == "" {
				if err != nil {
					t.Errorf("Check(%s) = %v, want allowed", tt.ip, err)
				}
				return
			}
			var blocked *BlockedError
			if !errors.As(err, &blocked) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check(%s) = %v, want a *BlockedError containing %q", tt.ip, err, tt.want)
			}
		})
	}
}

func TestControlReportsAddress(t *testing.T) {
	t.Parallel()
	err := Guard{}.Control("tcp4", "127.0.0.1:8080", nil)
	want := "refused to connect to 127.0.0.1:8080: loopback address (set BERTH_ALLOW_PRIVATE_TARGETS=true to allow)"
	if err == nil || err.Error() != want {
		t.Errorf("Control = %v, want %q", err, want)
	}
	if err := (Guard{}).Control("tcp6", "[2606:4700:4700::1111]:443", nil); err != nil {
		t.Errorf("Control(public IPv6) = %v", err)
	}
	if err := (Guard{}).Control("tcp6", "[fe80::1%eth0]:80", nil); err == nil {
		t.Error("Control allowed a zoned link-local address")
	}
	if err := (Guard{}).Control("tcp", "not an address", nil); err == nil {
		t.Error("Control allowed an unparsable address")
	}
}

func TestParsePrefixes(t *testing.T) {
	t.Parallel()
	got, err := ParsePrefixes(" 10.0.0.0/8, 192.168.1.5 fd00::/8,::1\n10.1.2.3/16 ")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.168.1.5/32", "fd00::/8", "::1/128", "10.1.0.0/16"}
	if len(got) != len(want) {
		t.Fatalf("ParsePrefixes = %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("prefix %d = %s, want %s", i, got[i], want[i])
		}
	}
	if p, err := ParsePrefixes(""); err != nil || len(p) != 0 {
		t.Errorf("ParsePrefixes(\"\") = %v, %v", p, err)
	}
	if _, err := ParsePrefixes("10.0.0.0/8,example.com"); err == nil || !strings.Contains(err.Error(), `"example.com"`) {
		t.Errorf("ParsePrefixes with a host name: %v, want an error naming it", err)
	}
}
