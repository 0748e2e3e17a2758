package rules

import "net/netip"

// IPAddress reports whether s is an IPv4 address in dotted-decimal form or an IPv6 address
// (IPv4-mapped included), with no zone, port, prefix length or surrounding space.
func IPAddress(s string) bool {
	addr, err := netip.ParseAddr(s)
	return err == nil && addr.Zone() == ""
}
