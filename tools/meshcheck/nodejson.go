package meshcheck

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// nodeJSON writes a YAML node as JSON directly, skipping the generic
// decode-to-interface and re-marshal. It handles the plain shapes rendered
// manifests are made of; ok is false for anything unusual (aliases, merge
// keys, duplicate or non-string keys, timestamps, custom tags, huge or
// non-finite numbers), and the caller then takes the general path, which
// implements YAML fully and reports errors.
func nodeJSON(n *yaml.Node, buf *bytes.Buffer) (ok bool) {
	switch n.Kind {
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
				return false
			}
			for j := 0; j < i; j += 2 {
				if n.Content[j].Value == k.Value {
					return false // duplicate key: the general path reports it
				}
			}
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSONString(buf, k.Value)
			buf.WriteByte(':')
			if !nodeJSON(n.Content[i+1], buf) {
				return false
			}
		}
		buf.WriteByte('}')
		return true
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if !nodeJSON(c, buf) {
				return false
			}
		}
		buf.WriteByte(']')
		return true
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			writeJSONString(buf, n.Value)
			return true
		case "!!null":
			buf.WriteString("null")
			return true
		case "!!bool":
			switch strings.ToLower(n.Value) {
			case "true":
				buf.WriteString("true")
				return true
			case "false":
				buf.WriteString("false")
				return true
			}
		case "!!int":
			v, err := strconv.ParseInt(n.Value, 0, 64)
			if err != nil {
				return false
			}
			buf.WriteString(strconv.FormatInt(v, 10))
			return true
		case "!!float":
			v, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
			if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
				return false
			}
			buf.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
			return true
		}
	}
	return false
}

func writeJSONString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s) // a string always marshals
	buf.Write(b)
}
