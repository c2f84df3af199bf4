// Package netguard protects berth's outbound HTTP (webhook deliveries and any
// other call to a URL a user typed) from server-side request forgery.
//
// A Guard decides, for every TCP connection, whether the IP address actually
// being connected to may be reached. The check runs in the dialer after name
// resolution (net.Dialer.Control), once per address tried, so a DNS name that
// resolves — or later re-resolves (DNS rebinding) — to an internal address is
// refused just like a literal one, and so is every redirect hop.
//
// By default only public unicast addresses are reachable. Loopback, private
// (RFC 1918, IPv6 ULA), shared CGNAT, link-local, unspecified and other
// special-purpose ranges need Guard.AllowPrivate (BERTH_ALLOW_PRIVATE_TARGETS);
// cloud metadata endpoints, multicast and reserved ranges stay refused even
// then unless an Allow prefix names them. IPv4 addresses embedded in IPv6
// (IPv4-mapped, NAT64, 6to4) are judged as the IPv4 address they carry.
package netguard
