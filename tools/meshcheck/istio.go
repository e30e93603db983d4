package meshcheck

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// This file holds what meshcheck knows of Istio: how it picks a port's
// protocol, which pods its webhook injects, which objects are its own.
// Each piece names the Istio source it follows.

// Protocol is the protocol Istio resolves for a Service port.
type Protocol string

// The protocols a Service port can resolve to (protocol.Instance in
// istio/istio), plus Unsupported: Istio will sniff the traffic.
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

var protocolNames = map[string]Protocol{
	"tcp": ProtoTCP, "udp": ProtoUDP, "grpc": ProtoGRPC, "grpc-web": ProtoGRPCWeb,
	"http": ProtoHTTP, "http_proxy": ProtoHTTPProxy, "http2": ProtoHTTP2, "https": ProtoHTTPS,
	"tls": ProtoTLS, "mongo": ProtoMongo, "redis": ProtoRedis, "mysql": ProtoMySQL,
}

// opaque reports protocols Envoy proxies as plain TCP streams, which it
// can tell apart only by destination address and port.
func (p Protocol) opaque() bool {
	return p == ProtoTCP || p == ProtoMongo || p == ProtoRedis || p == ProtoMySQL || p == ProtoUnsupported
}

// ResolveProtocol is Istio's ConvertProtocol (pkg/config/kube): UDP; else
// appProtocol (with Kubernetes' h2c, ws and wss names) instead of the name;
// a grpc-web prefix; the part of the name before the first '-',
// case-insensitive; the server-first ports 25, 53, 3306 and 27017 as TCP;
// else unsupported, which Istio sniffs.
func ResolveProtocol(p corev1.ServicePort) Protocol {
	if p.Protocol == corev1.ProtocolUDP {
		return ProtoUDP
	}
	name := p.Name
	if p.AppProtocol != nil {
		name = *p.AppProtocol
		switch name {
		case "kubernetes.io/h2c":
			return ProtoHTTP2
		case "kubernetes.io/ws":
			return ProtoHTTP
		case "kubernetes.io/wss":
			return ProtoHTTPS
		}
	}
	if strings.HasPrefix(strings.ToLower(name), "grpc-web") {
		return ProtoGRPCWeb
	}
	prefix, _, _ := strings.Cut(name, "-")
	if proto, ok := protocolNames[strings.ToLower(prefix)]; ok {
		return proto
	}
	switch p.Port {
	case 25, 53, 3306, 27017:
		return ProtoTCP
	}
	return ProtoUnsupported
}

// ReservedPorts are the ports the sidecar (and its iptables probe) use.
var ReservedPorts = map[int32]string{
	15000: "Envoy admin",
	15001: "outbound capture",
	15002: "iptables probe",
	15004: "debug",
	15006: "inbound capture",
	15008: "HBONE tunnel",
	15020: "merged metrics / health",
	15021: "health checks",
	15053: "DNS proxy",
	15090: "Envoy Prometheus telemetry",
}

// Labels and annotations Istio reads.
const (
	labelInjection      = "istio-injection"
	labelRev            = "istio.io/rev"
	labelInject         = "sidecar.istio.io/inject"
	labelDataplaneMode  = "istio.io/dataplane-mode"
	labelGatewayManaged = "gateway.istio.io/managed"
	annotationStatus    = "sidecar.istio.io/status" // written by the injector
)

// neverInjected are the namespaces Istio's injector skips
// (inject.IgnoredNamespaces) and istioctl analyze leaves out.
var neverInjected = map[string]bool{"kube-system": true, "kube-public": true, "kube-node-lease": true, "local-path-storage": true}

// istioContainers are the containers Istio adds to a pod (istioctl
// kube-inject, the gateway chart) or runs itself; the rules check the
// application's containers only.
var istioContainers = map[string]bool{"istio-proxy": true, "istio-init": true, "istio-validation": true, "istio-operator": true}

// istioOwned reports objects Istio installs or its controllers create:
// what istioctl analyze treats as control plane (an "istio" label, or
// release=istio), everything Istio's charts label part-of=istio, and the
// Services and Deployments its gateway controller manages (gateways,
// waypoints, east-west gateways).
func istioOwned(l map[string]string) bool {
	if _, ok := l["istio"]; ok {
		return true
	}
	return l["release"] == "istio" || l["app.kubernetes.io/part-of"] == "istio" ||
		strings.HasPrefix(l[labelGatewayManaged], "istio.io-")
}

// dataplane is how a pod joins the mesh.
type dataplane int

const (
	planeUnknown dataplane = iota // its namespace is not in the input
	planeNone
	planeSidecar
	planeAmbient
)

// podDataplane decides a pod's dataplane the way the cluster would: the
// sidecar injector webhook's selectors (istio-discovery chart,
// mutatingwebhook.yaml, for the default revision and any named one), then
// the injector's own check (pkg/kube/inject injectRequired, policy
// "enabled"), then the CNI agent's ambient enablement (istio-cni chart's
// default selectors). Label values are compared exactly, as the API
// server's selectors do. ns is nil when the namespace is not in the input;
// why explains planeNone. Host-network pods, which the injector and the CNI
// agent skip, are not asked: no rule checks them.
func podDataplane(ns *Object, m *metav1.ObjectMeta, spec *corev1.PodSpec) (plane dataplane, why string) {
	if _, done := m.Annotations[annotationStatus]; done || hasIstioProxy(spec) {
		return planeSidecar, "" // injected already (istioctl kube-inject)
	}
	if ns == nil {
		return planeUnknown, ""
	}
	pod, nsl := m.Labels, ns.Labels
	podInject := pod[labelInject]
	podRev, podSetsRev := pod[labelRev]
	nsInject, nsSetsInject := nsl[labelInjection]
	nsRev, nsSetsRev := nsl[labelRev]
	webhook := podInject != "false" && (nsInject == "enabled" ||
		!nsSetsInject && nsSetsRev && nsRev != "" ||
		!nsSetsInject && !nsSetsRev && (podSetsRev && podRev != "" || !podSetsRev && podInject == "true"))
	optOut := optedOut(m)
	if webhook && !optOut {
		return planeSidecar, ""
	}
	if pod[labelDataplaneMode] == "ambient" || nsl[labelDataplaneMode] == "ambient" && pod[labelDataplaneMode] != "none" {
		return planeAmbient, ""
	}
	switch {
	case optOut:
		return planeNone, fmt.Sprintf("it sets %s=\"false\"", labelInject)
	case nsSetsInject && nsInject != "enabled":
		return planeNone, fmt.Sprintf("the namespace has %s=%q (only \"enabled\" injects)", labelInjection, nsInject)
	case nsSetsRev:
		return planeNone, fmt.Sprintf("the namespace has an empty %s", labelRev)
	}
	return planeNone, fmt.Sprintf("the namespace has neither %s=enabled, %s nor %s=ambient", labelInjection, labelRev, labelDataplaneMode)
}

// namespacePlane is what a namespace's labels switch on for pods that say
// nothing themselves; conflict lists the labels when they switch on more
// than one dataplane, as IST0123 does.
func namespacePlane(l map[string]string) (sidecar, ambient bool, conflict []string) {
	inject, setsInject := l[labelInjection]
	rev, setsRev := l[labelRev]
	sidecar = inject == "enabled" || !setsInject && setsRev && rev != ""
	ambient = l[labelDataplaneMode] == "ambient"
	// istio-injection with any value other than enabled turns the revision
	// label off in the webhook's selectors, so only then do both count.
	var on []string
	if setsInject {
		on = append(on, labelInjection+"="+inject)
	}
	if setsRev && (!setsInject || inject == "enabled") {
		on = append(on, labelRev+"="+rev)
	}
	if ambient && (!setsInject || inject == "enabled") {
		on = append(on, labelDataplaneMode+"=ambient")
	}
	if len(on) > 1 {
		conflict = on
	}
	return sidecar, ambient, conflict
}

// hasIstioProxy reports a pod injected already: an istio-proxy container
// with a real image ("auto" is the gateway chart's placeholder that the
// injector fills in).
func hasIstioProxy(spec *corev1.PodSpec) bool {
	return slices.ContainsFunc(podContainers(spec), func(c container) bool {
		return c.Name == "istio-proxy" && c.Image != "auto"
	})
}
