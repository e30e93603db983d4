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

// Report is the outcome for one stream of YAML documents.
type Report struct {
	Valid    int      // objects that passed
	Problems []string // one line each: stream: Kind/name[: JSON pointer]: message
}

// Validate checks every document in data, reporting under name.
func (v *Validator) Validate(name string, data []byte) Report {
	var r Report
	problem := func(object, path, msg string) {
		if path != "" {
			object += ": " + path
		}
		// One line per problem: YAML errors arrive with embedded newlines.
		r.Problems = append(r.Problems, name+": "+object+": "+strings.Join(strings.Fields(msg), " "))
	}
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
				problem(object, "", res.Err.Error())
			}
			for _, e := range res.ValidationErrors {
				problem(object, e.Path, e.Msg)
			}
		default: // Error, or Skipped (which strict options never produce)
			msg := "skipped"
			if res.Err != nil {
				msg = res.Err.Error()
			}
			problem(object, "", msg)
		}
	}
	return r
}
