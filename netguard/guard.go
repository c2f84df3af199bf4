package netguard

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// Guard decides which IP addresses outbound connections may reach. The zero
// Guard allows public unicast addresses only. A Guard is a value: copy it
// freely, it is safe for concurrent use as long as its slices are not
// modified.
type Guard struct {
	// AllowPrivate allows loopback, private, CGNAT, link-local and the other
	// internal special-purpose ranges (BERTH_ALLOW_PRIVATE_TARGETS=true), for
	// development and for deployments whose webhooks target internal
	// services. Cloud metadata, multicast and reserved addresses stay refused.
	AllowPrivate bool
	// Allow lists prefixes that are always reachable, whatever their range
	// (including cloud metadata addresses), unless Deny also covers them.
	Allow []netip.Prefix
	// Deny lists prefixes that are never reachable, public ones included. It
	// wins over Allow and AllowPrivate.
	Deny []netip.Prefix
}

// privateHint is what a refused internal address can be allowed with.
const privateHint = "set BERTH_ALLOW_PRIVATE_TARGETS=true to allow"

// BlockedError reports a connection the Guard refused. Through
// http.Client.Do it arrives wrapped in *url.Error and *net.OpError; find it
// with errors.As.
type BlockedError struct {
	Addr   string // the address refused, "ip:port" when known
	Reason string // what the address is, e.g. "loopback address"
	Hint   string // how an operator could allow it, if there is a simple way
}

// Error returns, for example, "refused to connect to 127.0.0.1:8080: loopback
// address (set BERTH_ALLOW_PRIVATE_TARGETS=true to allow)".
func (e *BlockedError) Error() string {
	msg := "refused to connect to " + e.Addr + ": " + e.Reason
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

// Check returns nil if g allows connecting to ip, else a *BlockedError whose
// Addr is ip.
func (g Guard) Check(ip netip.Addr) error {
	if err := g.check(ip); err != nil {
		err.Addr = ip.String()
		return err
	}
	return nil
}

func (g Guard) check(ip netip.Addr) *BlockedError {
	plain := unwrap(ip.WithZone(""))
	if p, ok := firstContaining(g.Deny, ip, plain); ok {
		return &BlockedError{Reason: "address in the deny list (" + p.String() + ")"}
	}
	if _, ok := firstContaining(g.Allow, ip, plain); ok {
		return nil
	}
	s, ok := classify(ip)
	switch {
	case !ok, s.kind == internal && g.AllowPrivate:
		return nil
	case s.kind == internal:
		return &BlockedError{Reason: s.reason, Hint: privateHint}
	default:
		return &BlockedError{Reason: s.reason, Hint: "only an explicit allow-list entry allows it"}
	}
}

// firstContaining returns the first prefix containing ip as given or as the
// IPv4 address it carries.
func firstContaining(prefixes []netip.Prefix, ip, plain netip.Addr) (netip.Prefix, bool) {
	ip = ip.WithZone("")
	for _, p := range prefixes {
		if p.Contains(ip) || p.Contains(plain) {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

// Control is a net.Dialer.Control function: it refuses, with a *BlockedError,
// a connection to an address g does not allow. The dialer calls it with the
// resolved address, just before connecting.
func (g Guard) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("netguard: cannot check %s address %q: %w", network, address, err)
	}
	if err := g.check(ap.Addr()); err != nil {
		err.Addr = address
		return err
	}
	return nil
}

// ParsePrefixes parses a comma- or space-separated list of CIDR prefixes and
// bare IP addresses (taken as single-address prefixes), as found in a
// configuration setting. The error names the entry that does not parse.
func ParsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for entry := range strings.FieldsFuncSeq(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		p, err := parsePrefix(entry)
		if err != nil {
			return nil, fmt.Errorf("netguard: %q is neither a CIDR prefix nor an IP address", entry)
		}
		out = append(out, p)
	}
	return out, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(ip, ip.BitLen()), nil
}

// Dialer returns a net.Dialer whose connections g checks, with the timeouts
// of net/http's default transport.
func (g Guard) Dialer() *net.Dialer {
	return &net.Dialer{
		Timeout:   30 * time.Second,
		KeepAlive: 30 * time.Second,
		Control:   g.Control,
	}
}
