package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	flog "github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// leafEntry is an s3-seal leaf: a committed chunk log, where it is and the SHA-256 of its bytes.
type leafEntry struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	Sha256 string `json:"sha256"`
}

// proofExtra is what s3-seal puts in a proof's extra line: the leaf's fields and the record's place.
type proofExtra struct {
	leafEntry
	Position   int    `json:"position"`
	RecordHash string `json:"recordHash"`
}

type logLine struct {
	Hash   string `json:"hash"`
	Record struct {
		Bucket   string `json:"bucket"`
		Key      string `json:"key"`
		Decision string `json:"decision"`
		At       string `json:"at"`
		Position int    `json:"position"`
	} `json:"record"`
}

// checkProof verifies a tlog-proof offline: the checkpoint inside it is signed by the verifier key
// for the expected origin, and the inclusion proof binds the entry's RFC 6962 leaf hash to its root
// (x/mod/sumdb/tlog CheckRecord). With a chunk log, the extra data is checked against it.
func checkProof(verifier note.Verifier, origin string, text, entry []byte, chunkLog string) {
	if origin == "" {
		fail(errors.New("proof: --origin is required"))
	}
	index, proof, inner, extra := parseTlogProof(text)
	cp, _, _, err := flog.ParseCheckpoint(inner, origin, verifier)
	check(err, "checkpoint")
	check(tlog.CheckRecord(proof, int64(cp.Size), tlog.Hash(cp.Hash), index, tlog.RecordHash(entry)), "inclusion proof")
	if chunkLog == "" {
		fmt.Printf("ok proof of leaf %d in %d\n", index, cp.Size)
		return
	}
	var x proofExtra
	check(json.Unmarshal(extra, &x), "proof extra")
	var leaf leafEntry
	check(json.Unmarshal(entry, &leaf), "leaf entry")
	if leaf != x.leafEntry {
		fail(fmt.Errorf("extra names %+v, the proven leaf %+v", x.leafEntry, leaf))
	}
	data := must(os.ReadFile(chunkLog))
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != leaf.Sha256 {
		fail(fmt.Errorf("chunk log %s does not hash to the leaf's sha256", chunkLog))
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	check(err, "chunk log gzip")
	lines := bufio.NewScanner(zr)
	lines.Buffer(make([]byte, 1<<20), 1<<24)
	for lines.Scan() {
		var line logLine
		check(json.Unmarshal(lines.Bytes(), &line), "chunk log line")
		if line.Record.Position != x.Position {
			continue
		}
		if line.Hash != x.RecordHash {
			fail(fmt.Errorf("the record at position %d has hash %s, the proof says %s", x.Position, line.Hash, x.RecordHash))
		}
		r := line.Record
		fmt.Printf("ok proof of leaf %d in %d: s3://%s/%s %s at %s (position %d of %s)\n",
			index, cp.Size, r.Bucket, r.Key, r.Decision, r.At, r.Position, leaf.Key)
		return
	}
	check(lines.Err(), "chunk log lines")
	fail(fmt.Errorf("no record at position %d in the chunk log", x.Position))
}
