// Package minhash sketches texts for finding near-duplicates: the digest groups
// concerns by it, the intake worker keeps a few band keys per day so that a group
// coming back can be seen.
package minhash

import (
	"math/bits"
	"unicode"
)

// Signature sketches a text for finding near-duplicates: one-permutation MinHash
// over its character 3-grams, in 32 bins. Two texts agree in a share of bins close
// to the Jaccard similarity of their 3-gram sets. Computing one costs one hash per
// 3-gram, so signing 100,000 concerns is cheap.
type Signature [32]uint32

// Bins is how many bins a signature has.
const Bins = len(Signature{})

// signChars is how much of a text is signed: the start says what it is about.
const signChars = 300

// Sign computes a text's signature from its letters, dropping digits (phone
// numbers among them), spaces and punctuation.
func Sign(text string) Signature {
	rs := make([]rune, 0, signChars)
	for _, r := range text {
		if unicode.IsLetter(r) {
			rs = append(rs, unicode.ToLower(r))
			if len(rs) == signChars {
				break
			}
		}
	}
	var sig Signature
	var filled [Bins]bool
	for i := 0; i+3 <= len(rs); i++ {
		h := uint64(14695981039346656037)
		for _, r := range rs[i : i+3] {
			h ^= uint64(r)
			h *= 1099511628211
		}
		h ^= h >> 33
		h *= 0xff51afd7ed558ccd
		h ^= h >> 33
		bin := h % uint64(Bins)
		v := uint32(h >> 32)
		if !filled[bin] || v < sig[bin] {
			sig[bin], filled[bin] = v, true
		}
	}
	// densify: an empty bin borrows its next filled neighbour, rotated so that
	// texts do not agree there merely for both being short
	for i := range sig {
		if filled[i] {
			continue
		}
		for k := 1; k < Bins; k++ {
			if j := (i + k) % Bins; filled[j] {
				sig[i] = bits.RotateLeft32(sig[j], k) ^ uint32(k)
				break
			}
		}
	}
	return sig
}

// Similarity estimates the Jaccard similarity of two texts' 3-grams.
func (s Signature) Similarity(o Signature) float64 {
	n := 0
	for i := range s {
		if s[i] == o[i] {
			n++
		}
	}
	return float64(n) / float64(Bins)
}

// Bands splits a signature into 16 keys of 2 bins each: texts sharing any key are
// candidates for being near-duplicates (nine in ten pairs at similarity 0.5 share one).
func (s Signature) Bands() []uint64 {
	out := make([]uint64, 0, Bins/2)
	for b := 0; b < Bins; b += 2 {
		h := uint64(b + 1)
		for _, v := range s[b : b+2] {
			h ^= uint64(v)
			h *= 0x9e3779b97f4a7c15
		}
		out = append(out, h)
	}
	return out
}

// RecurBands are the few band keys kept per day to see a group come back.
func (s Signature) RecurBands() []uint64 { return s.Bands()[:4] }
