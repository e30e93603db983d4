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
		return scalarJSON(n.Tag, n.Value, buf)
	}
	return false
}

// scalarJSON writes a resolved scalar as JSON; false for what JSON cannot
// hold the way Kubernetes reads it (timestamps, custom tags, huge or
// non-finite numbers).
func scalarJSON(tag, value string, buf *bytes.Buffer) bool {
	switch tag {
	case "!!str":
		writeJSONString(buf, value)
		return true
	case "!!null":
		buf.WriteString("null")
		return true
	case "!!bool":
		switch strings.ToLower(value) {
		case "true":
			buf.WriteString("true")
			return true
		case "false":
			buf.WriteString("false")
			return true
		}
	case "!!int":
		v, err := strconv.ParseInt(value, 0, 64)
		if err != nil {
			return false
		}
		buf.WriteString(strconv.FormatInt(v, 10))
		return true
	case "!!float":
		v, err := strconv.ParseFloat(strings.ReplaceAll(value, "_", ""), 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return false
		}
		buf.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		return true
	}
	return false
}

// writeJSONString writes s as encoding/json would. Strings of printable
// ASCII without quotes, backslashes or the HTML characters it escapes (all
// of a manifest, nearly) are copied as they are; anything else goes through
// encoding/json itself, so the escaping rules stay the library's.
func writeJSONString(buf *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if !jsonPlain[s[i]] {
			b, _ := json.Marshal(s) // a string always marshals
			buf.Write(b)
			return
		}
	}
	buf.WriteByte('"')
	buf.WriteString(s)
	buf.WriteByte('"')
}

// jsonPlain marks the bytes encoding/json copies into a string unchanged.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()
