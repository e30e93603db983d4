package meshcheck

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestResolveProtocol(t *testing.T) {
	ap := func(s string) *string { return &s }
	tests := []struct {
		name string
		port corev1.ServicePort
		want Protocol
	}{
		{"UDP wins over everything", corev1.ServicePort{Name: "http", Port: 80, Protocol: corev1.ProtocolUDP, AppProtocol: ap("http")}, ProtoUDP},
		{"appProtocol beats the name", corev1.ServicePort{Name: "tcp", Port: 80, AppProtocol: ap("http")}, ProtoHTTP},
		{"kubernetes.io/h2c", corev1.ServicePort{Name: "web", Port: 80, AppProtocol: ap("kubernetes.io/h2c")}, ProtoHTTP2},
		{"kubernetes.io/ws", corev1.ServicePort{Port: 80, AppProtocol: ap("kubernetes.io/ws")}, ProtoHTTP},
		{"kubernetes.io/wss", corev1.ServicePort{Port: 443, AppProtocol: ap("kubernetes.io/wss")}, ProtoHTTPS},
		{"custom domain-prefixed appProtocol is sniffed", corev1.ServicePort{Name: "http", Port: 80, AppProtocol: ap("example.com/foo")}, ProtoUnsupported},
		{"unknown appProtocol ignores a good name", corev1.ServicePort{Name: "http", Port: 80, AppProtocol: ap("web")}, ProtoUnsupported},
		{"unknown appProtocol on a server-first port is TCP", corev1.ServicePort{Port: 3306, AppProtocol: ap("example.com/db")}, ProtoTCP},
		{"grpc-web prefix", corev1.ServicePort{Name: "grpc-web-ui", Port: 80}, ProtoGRPCWeb},
		{"grpc-web exact", corev1.ServicePort{Name: "grpc-web", Port: 80}, ProtoGRPCWeb},
		{"GRPC-WEB upper case", corev1.ServicePort{Name: "GRPC-WEB", Port: 80}, ProtoGRPCWeb},
		{"http", corev1.ServicePort{Name: "http", Port: 80}, ProtoHTTP},
		{"http-foo valid", corev1.ServicePort{Name: "http-foo", Port: 80}, ProtoHTTP},
		{"http2foo invalid", corev1.ServicePort{Name: "http2foo", Port: 80}, ProtoUnsupported},
		{"HTTP2 case-insensitive", corev1.ServicePort{Name: "HTTP2", Port: 80}, ProtoHTTP2},
		{"http_proxy", corev1.ServicePort{Name: "http_proxy", Port: 3128}, ProtoHTTPProxy},
		{"https-admin", corev1.ServicePort{Name: "https-admin", Port: 443}, ProtoHTTPS},
		{"grpc", corev1.ServicePort{Name: "grpc", Port: 9090}, ProtoGRPC},
		{"tls", corev1.ServicePort{Name: "tls-passthrough", Port: 443}, ProtoTLS},
		{"tcp", corev1.ServicePort{Name: "tcp-db", Port: 5432}, ProtoTCP},
		{"udp by name is still a name", corev1.ServicePort{Name: "udp-dns", Port: 5353}, ProtoUDP},
		{"mongo", corev1.ServicePort{Name: "mongo", Port: 27018}, ProtoMongo},
		{"mysql experimental", corev1.ServicePort{Name: "mysql", Port: 3307}, ProtoMySQL},
		{"redis experimental", corev1.ServicePort{Name: "redis-cache", Port: 6379}, ProtoRedis},
		{"prefix must come first", corev1.ServicePort{Name: "web-http", Port: 80}, ProtoUnsupported},
		{"unnamed port 80 sniffed", corev1.ServicePort{Port: 80}, ProtoUnsupported},
		{"SMTP 25 is TCP", corev1.ServicePort{Port: 25}, ProtoTCP},
		{"DNS 53 is TCP", corev1.ServicePort{Name: "dns", Port: 53}, ProtoTCP},
		{"MySQL 3306 unnamed is TCP", corev1.ServicePort{Port: 3306}, ProtoTCP},
		{"MongoDB 27017 is TCP", corev1.ServicePort{Name: "db", Port: 27017}, ProtoTCP},
		{"named protocol beats the port number", corev1.ServicePort{Name: "http", Port: 3306}, ProtoHTTP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ResolveProtocol(tt.port); got != tt.want {
				t.Errorf("ResolveProtocol(%+v) = %s, want %s", tt.port, got, tt.want)
			}
		})
	}
}
