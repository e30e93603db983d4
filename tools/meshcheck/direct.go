package meshcheck

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// decodeDirect fills typed (a pointer to a k8s.io/api type) from the fast
// path's tree, without writing JSON and reading it back. It reads the tree
// the way the strict decoder (sigs.k8s.io/json, unknown and duplicate fields
// rejected) reads the JSON that (*fnode).json writes, for the shapes a
// rendered manifest is made of: structs by their JSON names, pointers,
// slices, string-keyed maps, strings, integers and booleans. Types with
// their own UnmarshalJSON (Quantity, IntOrString, Time) get the JSON of
// their subtree. Anything else — an unknown or duplicate field, a value of
// the wrong type, an integer that overflows, a float where an integer goes,
// a type it does not handle — returns false, and the document takes the
// general path, whose strict decoder has the last word and the messages.
// FuzzDirectMatchesStrict and TestDirectMutatedObjects hold it to that.
//
// Why not write JSON and decode it, as before: the profile of a
// 10,000-object run put 45% of parsing in json-iterator's reflective struct
// decoding (unknown fields rejected turns off its specialised decoders) and
// another 10% in writing the JSON. The tree already holds every key and
// value as a string; this walks it once.
func decodeDirect(root *fnode, typed any) bool {
	v := reflect.ValueOf(typed)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return false
	}
	return directDecoderFor(v.Type().Elem()).decode(root, v.Elem())
}

// directDecoder decodes a tree node into an addressable value of one type.
type directDecoder struct {
	decode func(n *fnode, v reflect.Value) bool
}

var (
	directMu       sync.Mutex
	directDecoders = map[reflect.Type]*directDecoder{}
)

// directDecoderFor builds (once) and returns the decoder for t. A type
// refers to its field types' decoders, filled in before first use, so
// recursive types terminate.
func directDecoderFor(t reflect.Type) *directDecoder {
	directMu.Lock()
	defer directMu.Unlock()
	return buildDirect(t)
}

func buildDirect(t reflect.Type) *directDecoder {
	if d, ok := directDecoders[t]; ok {
		return d
	}
	d := &directDecoder{}
	directDecoders[t] = d
	d.decode = directFunc(t)
	return d
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	stringMap       = reflect.TypeFor[map[string]string]()
	intOrString     = reflect.TypeFor[intstr.IntOrString]()
	quantity        = reflect.TypeFor[resource.Quantity]()
	resourceList    = reflect.TypeFor[corev1.ResourceList]()
)

// nilOnNull wraps the decoder of a pointer, slice or map: null makes the
// value nil, as in encoding/json.
func nilOnNull(decode func(*fnode, reflect.Value) bool) func(*fnode, reflect.Value) bool {
	return func(n *fnode, v reflect.Value) bool {
		if isNull(n) {
			v.SetZero()
			return true
		}
		return decode(n, v)
	}
}

// refuse is the decoder of what decodeDirect leaves to the general path.
func refuse(*fnode, reflect.Value) bool { return false }

func directFunc(t reflect.Type) func(*fnode, reflect.Value) bool {
	pt := reflect.PointerTo(t)
	switch {
	case t == intOrString:
		return intOrStringDecoder
	case t == quantity:
		return quantityDecoder
	case t == resourceList:
		return nilOnNull(resourceListDecoder)
	case t.Kind() != reflect.Pointer && pt.Implements(jsonUnmarshaler):
		return unmarshalerDecoder
	case t.Kind() != reflect.Pointer && pt.Implements(textUnmarshaler):
		return refuse // encoding/json reads strings into these with UnmarshalText: rare, left to it
	}
	switch t.Kind() {
	case reflect.String:
		return func(n *fnode, v reflect.Value) bool {
			if isNull(n) {
				return true // null leaves a non-pointer value as it is
			}
			if !isScalar(n, "!!str") {
				return false
			}
			v.SetString(n.value)
			return true
		}
	case reflect.Bool:
		return func(n *fnode, v reflect.Value) bool {
			if isNull(n) {
				return true
			}
			if !isScalar(n, "!!bool") {
				return false
			}
			switch strings.ToLower(n.value) { // as scalarJSON writes it
			case "true":
				v.SetBool(true)
			case "false":
				v.SetBool(false)
			default:
				return false
			}
			return true
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(n *fnode, v reflect.Value) bool {
			if isNull(n) {
				return true
			}
			if !isScalar(n, "!!int") {
				return false // a float, even 1e3, is left to the general path
			}
			i, err := strconv.ParseInt(n.value, 0, 64) // as scalarJSON reads it
			if err != nil || v.OverflowInt(i) {
				return false
			}
			v.SetInt(i)
			return true
		}
	case reflect.Pointer:
		elem := buildDirect(t.Elem())
		return nilOnNull(func(n *fnode, v reflect.Value) bool {
			p := reflect.New(t.Elem())
			if !elem.decode(n, p.Elem()) {
				return false
			}
			v.Set(p)
			return true
		})
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return refuse // []byte is base64 in JSON
		}
		elem := buildDirect(t.Elem())
		return nilOnNull(func(n *fnode, v reflect.Value) bool {
			if yaml.Kind(n.kind) != yaml.SequenceNode {
				return false
			}
			s := reflect.MakeSlice(t, len(n.kids), len(n.kids)) // [] is an empty slice, not nil
			for i, k := range n.kids {
				if !elem.decode(k, s.Index(i)) {
					return false
				}
			}
			v.Set(s)
			return true
		})
	case reflect.Map:
		if t.Key().Kind() != reflect.String || reflect.PointerTo(t.Key()).Implements(textUnmarshaler) {
			return refuse
		}
		if t == stringMap {
			return nilOnNull(stringMapDecoder)
		}
		elem := buildDirect(t.Elem())
		return nilOnNull(func(n *fnode, v reflect.Value) bool {
			if !mappingKeys(n) {
				return false
			}
			m := reflect.MakeMapWithSize(t, len(n.kids)/2)
			for i := 0; i+1 < len(n.kids); i += 2 {
				e := reflect.New(t.Elem()).Elem()
				if !elem.decode(n.kids[i+1], e) {
					return false
				}
				m.SetMapIndex(reflect.ValueOf(n.kids[i].value).Convert(t.Key()), e)
			}
			v.Set(m)
			return true
		})
	case reflect.Struct:
		return structDecoder(t)
	}
	return refuse // floats, interfaces, unsigned and the rest: not in the kinds' hot fields
}

// directField is one JSON field of a struct: where it is (through embedded
// structs) and how to decode it.
type directField struct {
	index []int
	dec   *directDecoder
}

// structDecoder decodes a mapping into a struct by the fields' JSON names,
// exactly (the strict decoder is case-sensitive), refusing unknown and
// duplicate keys. Embedded structs without a JSON name (metav1.TypeMeta's
// ",inline") have their fields promoted, as in encoding/json; a struct whose
// names collide, or with a ",string" field or an embedded pointer, is left
// to the general path, whose rules for those are subtler than worth copying.
func structDecoder(t reflect.Type) func(*fnode, reflect.Value) bool {
	fields := map[string]directField{}
	ok := true
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(append([]int(nil), index...), i)
			if f.Anonymous && name == "" {
				if f.Type.Kind() == reflect.Struct {
					walk(f.Type, idx)
					continue
				}
				if f.Type.Kind() == reflect.Pointer || !f.IsExported() {
					ok = false
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, dup := fields[name]; dup {
				ok = false
			}
			for o := range strings.SplitSeq(opts, ",") {
				if o == "string" {
					ok = false
				}
			}
			fields[name] = directField{index: idx, dec: buildDirect(f.Type)}
		}
	}
	walk(t, nil)
	if !ok {
		return refuse
	}
	return func(n *fnode, v reflect.Value) bool {
		if isNull(n) {
			return true
		}
		if !mappingKeys(n) {
			return false
		}
		for i := 0; i+1 < len(n.kids); i += 2 {
			f, ok := fields[n.kids[i].value]
			if !ok {
				return false // unknown field: the strict decoder names it
			}
			fv := v.Field(f.index[0])
			for _, j := range f.index[1:] {
				fv = fv.Field(j)
			}
			if !f.dec.decode(n.kids[i+1], fv) {
				return false
			}
		}
		return true
	}
}

// stringMapDecoder is the map decoder for labels, annotations and
// selectors, the commonest map, without reflection per entry.
func stringMapDecoder(n *fnode, v reflect.Value) bool {
	if !mappingKeys(n) {
		return false
	}
	m := make(map[string]string, len(n.kids)/2)
	for i := 0; i+1 < len(n.kids); i += 2 {
		val := n.kids[i+1]
		switch {
		case isScalar(val, "!!str"):
			m[n.kids[i].value] = val.value
		case isNull(val):
			m[n.kids[i].value] = ""
		default:
			return false
		}
	}
	v.Set(reflect.ValueOf(m))
	return true
}

// intOrStringDecoder is IntOrString.UnmarshalJSON for a string or an int,
// the shapes of every targetPort and probe port, without the JSON round
// trip through encoding/json it makes; anything else goes to it.
func intOrStringDecoder(n *fnode, v reflect.Value) bool {
	switch {
	case isScalar(n, "!!str"):
		*v.Addr().Interface().(*intstr.IntOrString) = intstr.IntOrString{Type: intstr.String, StrVal: n.value}
		return true
	case isScalar(n, "!!int"):
		i, err := strconv.ParseInt(n.value, 0, 32)
		if err != nil {
			return false
		}
		*v.Addr().Interface().(*intstr.IntOrString) = intstr.IntOrString{Type: intstr.Int, IntVal: int32(i)}
		return true
	}
	return unmarshalerDecoder(n, v)
}

// quantityDecoder is Quantity.UnmarshalJSON for a plain string ("50m",
// "32Mi"), which it parses as it is; other values (numbers, escapes) go
// through UnmarshalJSON itself.
func quantityDecoder(n *fnode, v reflect.Value) bool {
	q, ok := parseQuantity(n)
	if !ok {
		return unmarshalerDecoder(n, v)
	}
	*v.Addr().Interface().(*resource.Quantity) = q
	return true
}

// parseQuantity parses a plain string the way Quantity.UnmarshalJSON does
// its JSON: ok is false for anything else, or a string whose JSON would be
// escaped (UnmarshalJSON reads the escaped bytes, not the string).
func parseQuantity(n *fnode) (resource.Quantity, bool) {
	if !isScalar(n, "!!str") {
		return resource.Quantity{}, false
	}
	for i := 0; i < len(n.value); i++ {
		if !jsonPlain[n.value[i]] {
			return resource.Quantity{}, false
		}
	}
	q, err := resource.ParseQuantity(strings.TrimSpace(n.value))
	return q, err == nil
}

// resourceListDecoder is the map decoder for requests and limits, the one
// common map that is not map[string]string, without reflection per entry.
func resourceListDecoder(n *fnode, v reflect.Value) bool {
	if !mappingKeys(n) {
		return false
	}
	m := make(corev1.ResourceList, len(n.kids)/2)
	for i := 0; i+1 < len(n.kids); i += 2 {
		q, ok := parseQuantity(n.kids[i+1])
		if !ok {
			p := new(resource.Quantity)
			if !unmarshalerDecoder(n.kids[i+1], reflect.ValueOf(p).Elem()) {
				return false
			}
			q = *p
		}
		m[corev1.ResourceName(n.kids[i].value)] = q
	}
	v.Set(reflect.ValueOf(m))
	return true
}

// unmarshalerDecoder hands a type with its own UnmarshalJSON the JSON of
// its subtree, as the strict decoder would.
func unmarshalerDecoder(n *fnode, v reflect.Value) bool {
	buf := jsonBufs.Get().(*bytes.Buffer)
	defer jsonBufs.Put(buf)
	buf.Reset()
	if !n.json(buf) {
		return false
	}
	return v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(buf.Bytes()) == nil
}

// mappingKeys reports whether n is a mapping whose keys are distinct
// strings, as JSON object keys are.
func mappingKeys(n *fnode) bool {
	if yaml.Kind(n.kind) != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.kids); i += 2 {
		k := n.kids[i]
		if !isScalar(k, "!!str") {
			return false
		}
		for j := 0; j < i; j += 2 {
			if n.kids[j].value == k.value {
				return false // duplicate key: the general path reports it
			}
		}
	}
	return true
}

func isScalar(n *fnode, tag string) bool {
	return yaml.Kind(n.kind) == yaml.ScalarNode && fastTags[n.tag] == tag
}

func isNull(n *fnode) bool { return isScalar(n, "!!null") }
