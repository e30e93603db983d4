package meshcheck

// Finding is one rule violation on one object.
type Finding struct {
	Rule      string   `json:"rule"`
	RuleName  string   `json:"ruleName"`
	Severity  Severity `json:"severity"`
	IstioCode string   `json:"istioCode,omitempty"`
	Kind      string   `json:"kind"`
	Namespace string   `json:"namespace,omitempty"`
	Name      string   `json:"name"`
	File      string   `json:"file"`
	Line      int      `json:"line"`
	Source    string   `json:"source,omitempty"` // Helm template, from "# Source:"
	Message   string   `json:"message"`
	Fix       string   `json:"fix"`
	// SuppressedBy is "annotation" or "--ignore" for suppressed findings.
	SuppressedBy string `json:"suppressedBy,omitempty"`

	order int // input order of the object, for stable grouping
}

// Object names the finding's object: Kind namespace/name.
func (f Finding) Object() string { return ref(f.Kind, f.Namespace, f.Name) }

// Report is the result of Check.
type Report struct {
	// Findings not suppressed, grouped by object in input order.
	Findings []Finding `json:"findings"`
	// Suppressed findings, by annotation or --ignore.
	Suppressed []Finding `json:"suppressed"`
	Objects    int       `json:"objects"`
	// Mesh is true when the namespace injection rules ran; MeshReason says why.
	Mesh       bool   `json:"mesh"`
	MeshReason string `json:"meshReason,omitempty"`
}

// Fails reports whether any finding is at or above threshold.
func (r *Report) Fails(threshold Severity) bool {
	for _, f := range r.Findings {
		if f.Severity >= threshold {
			return true
		}
	}
	return false
}

// Suppression mechanisms.
const (
	SuppressedByAnnotation = "annotation"
	SuppressedByFlag       = "--ignore"
)

// IgnoreAnnotation names rules (IDs or names, comma or space separated) to
// suppress on the object carrying it (or on a workload's pod template).
const IgnoreAnnotation = "meshcheck.asm-ready.dev/ignore"
