package netguard

import "net/netip"

// kind says what it takes to reach a special-purpose range.
type kind int

const (
	// internal ranges are reachable with Guard.AllowPrivate.
	internal kind = iota + 1
	// forbidden ranges are reachable only through an explicit Allow prefix:
	// cloud metadata services, and addresses a TCP connection has no business
	// reaching (multicast, reserved).
	forbidden
)

// special is a special-purpose address range and why it is refused.
type special struct {
	prefix netip.Prefix
	reason string
	kind   kind
}

func rule(prefix, reason string, k kind) special {
	return special{netip.MustParsePrefix(prefix), reason, k}
}

// specials lists the special-purpose ranges (IANA IPv4 and IPv6
// special-purpose address registries), most specific first: the first match
// decides. IPv4-mapped, NAT64 and 6to4 addresses are unwrapped before this
// table is consulted.
var specials = []special{
	// Cloud metadata services: instance credentials live behind these.
	rule("169.254.169.254/32", "cloud metadata address", forbidden),    // AWS, GCP, Azure, OpenStack…
	rule("169.254.170.2/32", "cloud metadata address", forbidden),      // AWS ECS task metadata
	rule("100.100.100.200/32", "cloud metadata address", forbidden),    // Alibaba Cloud
	rule("fd00:ec2::254/128", "cloud metadata address", forbidden),     // AWS IPv6
	rule("fd00:ec2::23/128", "cloud metadata address", forbidden),      // AWS IPv6 (ECS)
	rule("0.0.0.0/8", "unspecified address", internal),                 // "this network"; 0.0.0.0 reaches this host
	rule("10.0.0.0/8", "private address", internal),                    // RFC 1918
	rule("100.64.0.0/10", "shared address (CGNAT)", internal),          // RFC 6598
	rule("127.0.0.0/8", "loopback address", internal),                  // RFC 1122
	rule("169.254.0.0/16", "link-local address", internal),             // RFC 3927
	rule("172.16.0.0/12", "private address", internal),                 // RFC 1918
	rule("192.0.0.0/24", "IETF protocol assignment address", internal), // RFC 6890
	rule("192.0.2.0/24", "documentation address", internal),            // TEST-NET-1
	rule("192.88.99.0/24", "6to4 relay anycast address", internal),     // RFC 7526 (deprecated)
	rule("192.168.0.0/16", "private address", internal),                // RFC 1918
	rule("198.18.0.0/15", "benchmarking address", internal),            // RFC 2544
	rule("198.51.100.0/24", "documentation address", internal),         // TEST-NET-2
	rule("203.0.113.0/24", "documentation address", internal),          // TEST-NET-3
	rule("224.0.0.0/4", "multicast address", forbidden),                // RFC 5771
	rule("240.0.0.0/4", "reserved address", forbidden),                 // RFC 1112, incl. broadcast
	rule("::/128", "unspecified address", internal),
	rule("::1/128", "loopback address", internal),
	rule("::/96", "IPv4-compatible address", internal),                // RFC 4291 (deprecated)
	rule("64:ff9b:1::/48", "local-use NAT64 address", internal),       // RFC 8215
	rule("100::/64", "discard-only address", internal),                // RFC 6666
	rule("2001::/32", "Teredo address", internal),                     // RFC 4380
	rule("2001:db8::/32", "documentation address", internal),          // RFC 3849
	rule("2001:10::/28", "ORCHID address", internal),                  // RFC 4843 (deprecated)
	rule("2001:20::/28", "ORCHIDv2 address", internal),                // RFC 7343
	rule("fc00::/7", "private address (IPv6 unique local)", internal), // RFC 4193
	rule("fe80::/10", "link-local address", internal),                 // RFC 4291
	rule("fec0::/10", "site-local address", internal),                 // RFC 3879 (deprecated)
	rule("ff00::/8", "multicast address", forbidden),                  // RFC 4291
}

// Prefixes that carry an IPv4 address, judged as that IPv4 address.
var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052: last 32 bits
	sixToFour   = netip.MustParsePrefix("2002::/16")    // RFC 3056: bits 16–47
)

// classify returns the special-purpose range ip falls in, judging an IPv4
// address embedded in an IPv6 one as that IPv4 address. ok is false for a
// public unicast address.
func classify(ip netip.Addr) (s special, ok bool) {
	ip = unwrap(ip.WithZone("")) // a zoned address never matches a prefix
	for _, s := range specials {
		if s.prefix.Contains(ip) {
			return s, true
		}
	}
	return special{}, false
}

// unwrap returns the IPv4 address carried by an IPv4-mapped, NAT64 or 6to4
// address, and ip itself otherwise.
func unwrap(ip netip.Addr) netip.Addr {
	if ip.Is4In6() {
		return ip.Unmap()
	}
	b := ip.As16()
	switch {
	case nat64Prefix.Contains(ip):
		return netip.AddrFrom4([4]byte(b[12:16]))
	case sixToFour.Contains(ip):
		return netip.AddrFrom4([4]byte(b[2:6]))
	}
	return ip
}
