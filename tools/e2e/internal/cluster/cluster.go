package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Controllers kube-controller-manager runs: enough for Deployments to get
// ReplicaSets and Pods, namespaces their `default` ServiceAccount, and deleted
// owners their dependents (so "nothing orphaned" is checked, not assumed).
var Controllers = []string{
	"deployment-controller",
	"replicaset-controller",
	"serviceaccount-controller",
	"garbage-collector-controller",
	"namespace-controller",
}

// Options configure Start.
type Options struct {
	// AssetsDir holds etcd, kube-apiserver and kube-controller-manager.
	AssetsDir string
	// CRDs are installed before Start returns, and waited for.
	CRDs []*apiextensionsv1.CustomResourceDefinition
	// LogDir receives the control plane's logs (kube-controller-manager.log);
	// a temporary directory when empty.
	LogDir string
}

// Cluster is a running control plane.
type Cluster struct {
	// Config is an admin (system:masters) client config whose API warnings
	// go to Warnings; ClientConfig gives one with its own recorder.
	Config *rest.Config
	// Kubeconfig is a file holding the same credentials, for clients that
	// want one (Helm, kube-controller-manager).
	Kubeconfig string
	// Warnings collects every API warning sent to clients built from Config.
	Warnings *Warnings
	// Version is the API server's reported gitVersion.
	Version string

	env    *envtest.Environment
	kcm    *exec.Cmd
	kcmLog string
	done   chan error
	dir    string
}

// Start runs etcd, kube-apiserver and kube-controller-manager on loopback and
// returns once the controller manager has created the `default`
// ServiceAccount (so Pods can be admitted). Stop must be called.
func Start(ctx context.Context, opts Options) (c *Cluster, err error) {
	if err := CheckAssets(opts.AssetsDir); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "asm-ready-e2e-")
	if err != nil {
		return nil, err
	}
	logDir := opts.LogDir
	if logDir == "" {
		logDir = dir
	}
	c = &Cluster{Warnings: &Warnings{}, dir: dir, kcmLog: filepath.Join(logDir, "kube-controller-manager.log")}
	defer func() {
		if err != nil {
			_ = c.Stop()
		}
	}()

	c.env = &envtest.Environment{
		BinaryAssetsDirectory: opts.AssetsDir,
		CRDs:                  opts.CRDs,
		ErrorIfCRDPathMissing: true,
		// Cold etcd and API server start-up on a busy two-core machine.
		ControlPlaneStartTimeout: 2 * time.Minute,
		ControlPlaneStopTimeout:  time.Minute,
	}
	api := c.env.ControlPlane.GetAPIServer()
	api.Configure().
		// A loopback API server has no other address to advertise, and no
		// kube-proxy to keep the `kubernetes` Service endpoints current.
		Set("advertise-address", "127.0.0.1").
		Set("endpoint-reconciler-type", "none").
		// envtest turns the ServiceAccount admission plugin off because it runs
		// no controller manager; we run one, so keep every default plugin
		// (PodSecurity included) as a real cluster has them.
		Disable("disable-admission-plugins")

	cfg, err := c.env.Start()
	if err != nil {
		return c, fmt.Errorf("start etcd and kube-apiserver from %s: %w", opts.AssetsDir, err)
	}
	c.Config = rest.CopyConfig(cfg)
	c.Config.WarningHandler = c.Warnings

	c.Kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(c.Kubeconfig, c.env.KubeConfig, 0o600); err != nil {
		return c, err
	}

	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return c, err
	}
	info, err := cs.Discovery().ServerVersion()
	if err != nil {
		return c, fmt.Errorf("read API server version: %w", err)
	}
	c.Version = info.GitVersion

	if err := c.startControllerManager(opts.AssetsDir); err != nil {
		return c, err
	}
	if err := c.waitForDefaultServiceAccount(ctx, cs); err != nil {
		return c, err
	}
	return c, nil
}

func (c *Cluster) startControllerManager(assets string) error {
	logf, err := os.Create(c.kcmLog)
	if err != nil {
		return err
	}
	c.kcm = exec.Command(filepath.Join(assets, "kube-controller-manager"),
		"--kubeconfig="+c.Kubeconfig,
		"--controllers="+strings.Join(Controllers, ","),
		"--leader-elect=false",
		"--use-service-account-credentials=false",
		// Nothing scrapes it; 0 turns the HTTPS endpoint off, so no port can clash.
		"--secure-port=0",
		"--v=1",
	)
	c.kcm.Stdout, c.kcm.Stderr = logf, logf
	// If the test binary dies (panic, -timeout), take the controller
	// manager with it instead of leaving it running on a shared machine.
	c.kcm.SysProcAttr = dieWithParent()
	if err := c.kcm.Start(); err != nil {
		_ = logf.Close()
		return fmt.Errorf("start kube-controller-manager: %w", err)
	}
	c.done = make(chan error, 1)
	go func() {
		c.done <- c.kcm.Wait()
		_ = logf.Close()
	}()
	return nil
}

// waitForDefaultServiceAccount polls for the ServiceAccount that the
// controller manager creates in every namespace: its presence proves the
// controller manager is up and talking to the API server.
func (c *Cluster) waitForDefaultServiceAccount(ctx context.Context, cs kubernetes.Interface) error {
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		select {
		case err := <-c.done:
			c.done <- err // keep it for Stop
			return false, fmt.Errorf("kube-controller-manager exited: %v", err)
		default:
		}
		_, err := cs.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return fmt.Errorf("waiting for kube-controller-manager to create ServiceAccount default/default: %w\n%s", err, c.ControllerManagerLogTail(20))
	}
	return nil
}

// ClientConfig returns an admin client config whose API warnings go to a
// recorder of its own, so each test sees only its own warnings.
func (c *Cluster) ClientConfig() (*rest.Config, *Warnings) {
	cfg := rest.CopyConfig(c.Config)
	w := &Warnings{}
	cfg.WarningHandler = w
	return cfg, w
}

// ControllerManagerLogTail returns the last n lines of the controller
// manager's log, for failure messages.
func (c *Cluster) ControllerManagerLogTail(n int) string {
	b, err := os.ReadFile(c.kcmLog)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "kube-controller-manager log (" + c.kcmLog + "), last lines:\n" + strings.Join(lines, "\n")
}

// Stop stops the controller manager, then the API server and etcd, and
// removes the temporary files.
func (c *Cluster) Stop() error {
	var errs []error
	if c.kcm != nil && c.kcm.Process != nil {
		_ = c.kcm.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(15 * time.Second):
			_ = c.kcm.Process.Kill()
			<-c.done
		}
	}
	if c.env != nil {
		if err := c.env.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("stop kube-apiserver and etcd: %w", err))
		}
	}
	if c.dir != "" {
		errs = append(errs, os.RemoveAll(c.dir))
	}
	return errors.Join(errs...)
}

// NewNamespace creates a namespace whose Pod Security level is `restricted`
// for enforce, warn and audit, as the repository asks of its users.
func NewNamespace(ctx context.Context, cs kubernetes.Interface, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: RestrictedLabels()}}
	_, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	return err
}

// RestrictedLabels are the Pod Security labels of a restricted namespace.
func RestrictedLabels() map[string]string {
	return map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
		"pod-security.kubernetes.io/warn":    "restricted",
		"pod-security.kubernetes.io/audit":   "restricted",
	}
}
