// Package kubeval validates Kubernetes manifests with kubeconform, used as a
// library, in -strict mode against the schemas written by schemagen. Every
// kind needs a schema: a custom resource without one is an error, not a skip.
package kubeval

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/yannh/kubeconform/pkg/validator"

	"github.com/asm-ready/asm-ready/tools/overlays/internal/schemagen"
)

// Validator checks manifests against one Kubernetes version's schemas.
type Validator struct {
	v validator.Validator
}

// New returns a strict validator over the schemas in dir (see
// schemagen.Generate) for Kubernetes version, one of schemagen.KubernetesVersions.
func New(dir, version string) (*Validator, error) {
	v, err := validator.New(schemagen.Locations(dir), validator.Opts{
		Strict:            true,
		KubernetesVersion: version,
	})
	if err != nil {
		return nil, fmt.Errorf("kubeconform: %w", err)
	}
	return &Validator{v: v}, nil
}

// Problem is one reason a manifest is not valid.
type Problem struct {
	File    string // the stream's name
	Object  string // Kind/name, or "document" when it could not be parsed
	Path    string // JSON pointer into the object, when known
	Message string
}

func (p Problem) String() string {
	s := p.File + ": " + p.Object
	if p.Path != "" {
		s += ": " + p.Path
	}
	// One line per problem: YAML errors arrive with embedded newlines.
	return s + ": " + strings.Join(strings.Fields(p.Message), " ")
}

// Report is the outcome for one stream of YAML documents.
type Report struct {
	Valid    int // objects that passed
	Problems []Problem
}

// Validate checks every document in data, reporting under name.
func (v *Validator) Validate(name string, data []byte) Report {
	var r Report
	for _, res := range v.v.Validate(name, io.NopCloser(bytes.NewReader(data))) {
		object := "document"
		if sig, err := res.Resource.Signature(); err == nil && sig.Kind != "" {
			object = sig.Kind + "/" + sig.Name
		}
		switch res.Status {
		case validator.Valid:
			r.Valid++
		case validator.Empty:
		case validator.Invalid:
			if len(res.ValidationErrors) == 0 {
				r.Problems = append(r.Problems, Problem{File: name, Object: object, Message: res.Err.Error()})
			}
			for _, e := range res.ValidationErrors {
				r.Problems = append(r.Problems, Problem{File: name, Object: object, Path: e.Path, Message: e.Msg})
			}
		default: // Error, or Skipped (which strict options never produce)
			msg := "skipped"
			if res.Err != nil {
				msg = res.Err.Error()
			}
			r.Problems = append(r.Problems, Problem{File: name, Object: object, Message: msg})
		}
	}
	return r
}
