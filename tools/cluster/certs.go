package cluster

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
)

// identity is one certificate the node uses: who it names (CN, O) and, for
// serving certificates, the names and addresses clients dial.
type identity struct {
	file   string // <file>.crt and <file>.key in the pki directory
	cn     string
	org    []string
	dns    []string
	ips    []string
	server bool
}

// identities are every certificate; the client ones are what the API
// server's Node and RBAC authorizers expect of each component.
var identities = []identity{
	{file: "apiserver", cn: "kube-apiserver", server: true,
		dns: []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "localhost"},
		ips: []string{apiServiceIP, nodeIP, "127.0.0.1"}},
	{file: "kubelet-serving", cn: NodeName, dns: []string{NodeName}, ips: []string{nodeIP}, server: true},
	{file: "admin", cn: "asm-ready-admin", org: []string{"system:masters"}},
	{file: "apiserver-kubelet-client", cn: "kube-apiserver-kubelet-client", org: []string{"system:masters"}},
	{file: "kube-controller-manager", cn: "system:kube-controller-manager"},
	{file: "kube-scheduler", cn: "system:kube-scheduler"},
	{file: "kubelet", cn: "system:node:" + NodeName, org: []string{"system:nodes"}},
	{file: "kube-proxy", cn: "system:kube-proxy"},
}

// writePKI makes a fresh CA, every certificate in identities signed by it, a
// kubeconfig per client identity and the service-account signing key. All
// keys are ECDSA P-256; the CA lives only as long as the node.
func writePKI(dir, server string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	ca, err := cert.NewSelfSignedCACert(cert.Config{CommonName: "asm-ready-cluster-ca"}, caKey)
	if err != nil {
		return err
	}
	if err := writePair(dir, "ca", ca.Raw, caKey); err != nil {
		return err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})
	for i, id := range identities {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i + 2)), Subject: pkix.Name{CommonName: id.cn, Organization: id.org},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
			DNSNames: id.dns,
		}
		if id.server {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		}
		for _, ip := range id.ips {
			tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(ip))
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
		if err != nil {
			return err
		}
		if err := writePair(dir, id.file, der, key); err != nil {
			return err
		}
		if !id.server {
			cfg := clientcmdapi.NewConfig()
			cfg.Clusters[ClusterName] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caPEM}
			cfg.AuthInfos[id.file] = &clientcmdapi.AuthInfo{ClientCertificate: filepath.Join(dir, id.file+".crt"), ClientKey: filepath.Join(dir, id.file+".key")}
			cfg.Contexts[ClusterName] = &clientcmdapi.Context{Cluster: ClusterName, AuthInfo: id.file}
			cfg.CurrentContext = ClusterName
			if err := clientcmd.WriteToFile(*cfg, filepath.Join(dir, id.file+".kubeconfig")); err != nil {
				return err
			}
		}
	}
	// kube-apiserver reads the public half from the same file.
	sa, err := keyutil.MakeEllipticPrivateKeyPEM()
	if err != nil {
		return err
	}
	return keyutil.WriteKey(filepath.Join(dir, "service-account.key"), sa)
}

// writePair writes <name>.crt and <name>.key (PKCS #8, mode 0600) in dir.
func writePair(dir, name string, der []byte, key crypto.Signer) error {
	if err := cert.WriteCert(filepath.Join(dir, name+".crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})); err != nil {
		return err
	}
	k, err := keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		return err
	}
	return keyutil.WriteKey(filepath.Join(dir, name+".key"), k)
}
