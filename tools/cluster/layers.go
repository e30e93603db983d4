package cluster

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// entry is one path in an image layer: a host file or directory tree (src),
// literal content (data), a symlink (link) or an empty directory (dir).
type entry struct {
	name string // path in the image, without a leading slash
	src  string
	data string
	link string
	dir  bool
	mode int64 // for data and dir entries
	uid  int   // owner (and group) of data and dir entries
}

// epoch is every file's mtime: the same inputs make the same layer digest,
// so BuildKit's cache keeps hitting across runs.
var epoch = time.Unix(0, 0)

// writeLayer writes entries as a tar file: owned by root unless an entry
// says otherwise, with host trees walked in lexical order.
func writeLayer(path string, entries []entry) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	for _, e := range entries {
		var err error
		switch {
		case e.src != "":
			err = addTree(tw, e.name, e.src)
		case e.link != "":
			err = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: e.name, Linkname: e.link, Mode: 0o777, ModTime: epoch})
		case e.dir:
			err = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: e.name + "/", Mode: e.mode, Uid: e.uid, Gid: e.uid, ModTime: epoch})
		default:
			err = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: e.name, Mode: e.mode, Uid: e.uid, Gid: e.uid, Size: int64(len(e.data)), ModTime: epoch})
			if err == nil {
				_, err = io.WriteString(tw, e.data)
			}
		}
		if err != nil {
			return fmt.Errorf("layer %s: %s: %w", path, e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// addTree copies a host file or directory tree to name, keeping modes and
// symlinks but not owners or times.
func addTree(tw *tar.Writer, name, src string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: filepath.Join(name, rel), Mode: int64(info.Mode().Perm()), ModTime: epoch}
		switch {
		case d.IsDir():
			hdr.Typeflag, hdr.Name = tar.TypeDir, hdr.Name+"/"
		case info.Mode()&fs.ModeSymlink != 0:
			hdr.Typeflag = tar.TypeSymlink
			if hdr.Linkname, err = os.Readlink(p); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			hdr.Typeflag, hdr.Size = tar.TypeReg, info.Size()
		default:
			return nil // sockets, devices: nothing an image needs
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
}

// image makes an image for this machine's platform from layers written
// into dir, with cfg as its runtime configuration.
func image(dir string, cfg v1.Config, layers ...[]entry) (v1.Image, error) {
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{OS: "linux", Architecture: runtime.GOARCH, Config: cfg})
	if err != nil {
		return nil, err
	}
	for _, entries := range layers {
		f, err := os.CreateTemp(dir, "layer-*.tar")
		if err != nil {
			return nil, err
		}
		f.Close()
		if err := writeLayer(f.Name(), entries); err != nil {
			return nil, err
		}
		l, err := tarball.LayerFromFile(f.Name())
		if err != nil {
			return nil, err
		}
		if img, err = mutate.AppendLayers(img, l); err != nil {
			return nil, err
		}
	}
	return img, nil
}

// distroless is the stand-in for gcr.io/distroless/static-debian12:nonroot:
// the users root, nobody and nonroot (65532), the host's CA bundle and
// time zones (Debian's ca-certificates and tzdata), /tmp, and nonroot's home.
func distroless() ([]entry, v1.Config) {
	var buf bytes.Buffer
	buf.WriteString("root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n")
	buf.WriteString("nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")
	return []entry{
			{name: "etc/passwd", data: buf.String(), mode: 0o644},
			{name: "etc/group", data: "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n", mode: 0o644},
			{name: "etc/nsswitch.conf", data: "hosts: files dns\n", mode: 0o644},
			{name: "etc/ssl/certs/ca-certificates.crt", src: "/etc/ssl/certs/ca-certificates.crt"},
			{name: "usr/share/zoneinfo", src: "/usr/share/zoneinfo"},
			{name: "tmp", dir: true, mode: 0o1777},
			{name: "home/nonroot", dir: true, mode: 0o700, uid: 65532},
		}, v1.Config{
			User: "65532", WorkingDir: "/home/nonroot",
			Env: []string{"PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
		}
}
