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
	if err := Seal(p); err != nil {
		return nil, err
	}
	return marshal(p, "  ")
}

// Seal sets p.Format and p.Digest without producing the file: what a
// compiler needs to hand a verified plan to the runtime in process.
func Seal(p *Plan) error {
	p.Format = Format
	normalize(p)
	d, err := ComputeDigest(p)
	if err != nil {
		return err
	}
	p.Digest = d
	return nil
}

// ComputeDigest returns the digest of p's content: the SHA-256 of its
// compact canonical JSON (the encoding without indentation) with the
// digest field empty. Indentation is presentation, so it is not digested.
func ComputeDigest(p *Plan) (string, error) {
	c := *p
	c.Digest = ""
	b, err := marshal(&c, "")
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

func marshal(p *Plan, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
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
