package api

import (
	"net"
	"net/netip"
)

func netipToIPNet(p netip.Prefix) *net.IPNet {
	p = p.Masked()
	bits := 128
	if p.Addr().Is4() {
		bits = 32
	}
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), bits)}
}
