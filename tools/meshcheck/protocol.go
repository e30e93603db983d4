package meshcheck

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Protocol is the protocol Istio resolves for a Service port.
type Protocol string

// The protocols Istio knows (protocol.Instance in istio/istio), plus
// Unsupported: Istio will sniff the traffic.
const (
	ProtoTCP         Protocol = "TCP"
	ProtoUDP         Protocol = "UDP"
	ProtoGRPC        Protocol = "GRPC"
	ProtoGRPCWeb     Protocol = "GRPC-Web"
	ProtoHTTP        Protocol = "HTTP"
	ProtoHTTPProxy   Protocol = "HTTP_PROXY"
	ProtoHTTP2       Protocol = "HTTP2"
	ProtoHTTPS       Protocol = "HTTPS"
	ProtoTLS         Protocol = "TLS"
	ProtoMongo       Protocol = "Mongo"
	ProtoRedis       Protocol = "Redis"
	ProtoMySQL       Protocol = "MySQL"
	ProtoUnsupported Protocol = "UnsupportedProtocol"
)

// Resolution says which protocol Istio picks for a port and why.
type Resolution struct {
	Protocol Protocol
	// By is what decided: "protocol: UDP", "appProtocol", "name",
	// "well-known port" or "" when nothing did (Istio sniffs).
	By string
}

// wellKnownPorts are server-first protocols (SMTP, DNS, MySQL, MongoDB)
// Istio treats as TCP when nothing else names the protocol.
var wellKnownPorts = map[int32]bool{25: true, 53: true, 3306: true, 27017: true}

// parseProtocol is Istio's protocol.Parse: case-insensitive, exact names.
func parseProtocol(s string) Protocol {
	switch strings.ToLower(s) {
	case "tcp":
		return ProtoTCP
	case "udp":
		return ProtoUDP
	case "grpc":
		return ProtoGRPC
	case "grpc-web":
		return ProtoGRPCWeb
	case "http":
		return ProtoHTTP
	case "http_proxy":
		return ProtoHTTPProxy
	case "http2":
		return ProtoHTTP2
	case "https":
		return ProtoHTTPS
	case "tls":
		return ProtoTLS
	case "mongo":
		return ProtoMongo
	case "redis":
		return ProtoRedis
	case "mysql":
		return ProtoMySQL
	}
	return ProtoUnsupported
}

// ResolveProtocol applies Istio's precedence for a Service port (ConvertProtocol
// in istio/istio pkg/config/kube): UDP; appProtocol (with the kubernetes.io/
// h2c, ws, wss names) instead of the name; a grpc-web prefix; the part before
// the first '-'; the server-first ports 25, 53, 3306, 27017 as TCP; else
// unsupported, which Istio sniffs.
func ResolveProtocol(p corev1.ServicePort) Resolution {
	if p.Protocol == corev1.ProtocolUDP {
		return Resolution{ProtoUDP, "protocol: UDP"}
	}
	name, by := p.Name, "name"
	if p.AppProtocol != nil {
		name, by = *p.AppProtocol, "appProtocol"
		switch name {
		case "kubernetes.io/h2c":
			return Resolution{ProtoHTTP2, by}
		case "kubernetes.io/ws":
			return Resolution{ProtoHTTP, by}
		case "kubernetes.io/wss":
			return Resolution{ProtoHTTPS, by}
		}
	}
	if strings.HasPrefix(strings.ToLower(name), "grpc-web") {
		return Resolution{ProtoGRPCWeb, by}
	}
	prefix, _, _ := strings.Cut(name, "-")
	if proto := parseProtocol(prefix); proto != ProtoUnsupported {
		return Resolution{proto, by}
	}
	if wellKnownPorts[p.Port] {
		return Resolution{ProtoTCP, "well-known port"}
	}
	return Resolution{ProtoUnsupported, ""}
}
