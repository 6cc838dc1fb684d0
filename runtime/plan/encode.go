package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Encode returns the canonical encoding of p with its digest filled in. It
// sets p.Format and p.Digest.
func Encode(p *Plan) ([]byte, error) {
	p.Format = Format
	normalize(p)
	// One marshal: the digest covers the encoding with an empty digest,
	// which is then written into the digest field (the plan's second
	// field, so the first match is the right one).
	p.Digest = ""
	b, err := marshal(p)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	p.Digest = "sha256:" + hex.EncodeToString(sum[:])
	return bytes.Replace(b, []byte(`"digest": ""`), []byte(`"digest": "`+p.Digest+`"`), 1), nil
}

// ComputeDigest returns the digest of p's content: the SHA-256 of its
// canonical encoding with the digest field empty.
func ComputeDigest(p *Plan) (string, error) {
	c := *p
	c.Digest = ""
	b, err := marshal(&c)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

func marshal(p *Plan) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("encode plan: %w", err)
	}
	return buf.Bytes(), nil
}

// normalize replaces nil slices by empty ones so that a plan encodes the same
// whether it was built in memory or decoded from a file.
func normalize(p *Plan) {
	if p.Stages == nil {
		p.Stages = [][]string{}
	}
	for i := range p.Stages {
		if p.Stages[i] == nil {
			p.Stages[i] = []string{}
		}
	}
	if p.Maps == nil {
		p.Maps = []Map{}
	}
	if p.CycleBreaks == nil {
		p.CycleBreaks = []CycleBreak{}
	}
	if p.Exclusions == nil {
		p.Exclusions = []Exclusion{}
	}
	for i := range p.CycleBreaks {
		if p.CycleBreaks[i].Cycle == nil {
			p.CycleBreaks[i].Cycle = []string{}
		}
	}
	for i := range p.Maps {
		m := &p.Maps[i]
		if m.Key == nil {
			m.Key = []KeyField{}
		}
		if m.Fields == nil {
			m.Fields = []Field{}
		}
		if m.Constants == nil {
			m.Constants = []Constant{}
		}
	}
}
