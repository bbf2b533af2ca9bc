// tlog-check is the independent checker of s3-seal's transparency log library
// (test/integration/tlog-interop.test.ts). It reads a log the TypeScript code wrote to a directory in
// the C2SP tlog-tiles layout and checks it with Go's own implementations: golang.org/x/mod/sumdb/tlog
// (the Go checksum database's Merkle code) for tiles and proofs, and transparency-dev/formats for the
// ECDSA (signed-note type 0x02) checkpoint signature.
//
//	tlog-check log         --dir D --vkey-file K
//	tlog-check inclusion   --dir D --vkey-file K --proof-file P --entry-file E
//	tlog-check consistency --dir D --vkey-file K --old-checkpoint C --proof-file P
//	tlog-check proof       --vkey-file K --origin O --proof-file P --entry-file E [--chunk-log L]
//
// `proof` is the offline check a third party makes of `s3-seal audit proof`: no log directory, only
// the verifier key, the log's origin, the tlog-proof and the leaf entry; with --chunk-log (the chunk
// log fetched from the audit bucket) it also checks the extra data: the entry names the same log,
// the file hashes to its SHA-256, and the line at the record's position carries the record's hash.
//
// Exit status 0 and a line starting with "ok" when everything checks; otherwise status 1 and the
// reason on stderr.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	flog "github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const tileHeight = 8

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: tlog-check log|inclusion|consistency [flags]"))
	}
	flags := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	dir := flags.String("dir", "", "directory holding checkpoint and tile/")
	vkeyFile := flags.String("vkey-file", "", "file holding the signed-note verifier key")
	proofFile := flags.String("proof-file", "", "tlog-proof (inclusion) or base64 hashes (consistency)")
	entryFile := flags.String("entry-file", "", "the log entry an inclusion proof is for")
	oldFile := flags.String("old-checkpoint", "", "an older signed checkpoint")
	origin := flags.String("origin", "", "proof: the log's origin (the checkpoint's first line)")
	chunkLog := flags.String("chunk-log", "", "proof: the chunk log the proof's extra data names")
	_ = flags.Parse(os.Args[2:])

	verifier := readVerifier(*vkeyFile)
	if os.Args[1] == "proof" {
		checkProof(verifier, *origin, must(os.ReadFile(*proofFile)), must(os.ReadFile(*entryFile)), *chunkLog)
		return
	}
	cp := openCheckpoint(must(os.ReadFile(filepath.Join(*dir, "checkpoint"))), verifier)
	tree := tlog.Tree{N: int64(cp.Size), Hash: tlog.Hash(cp.Hash)}
	// TileHashReader checks every tile it loads against the tree's hash.
	hashes := tlog.TileHashReader(tree, &dirTiles{dir: *dir})
	root, err := tlog.TreeHash(tree.N, hashes)
	check(err, "tree hash from tiles")
	if root != tree.Hash {
		fail(fmt.Errorf("tiles hash to %v, the checkpoint says %v", root, tree.Hash))
	}

	switch os.Args[1] {
	case "log":
		checkEntries(*dir, tree, hashes)
		fmt.Printf("ok log %s size %d root %s\n", cp.Origin, tree.N, tree.Hash)
	case "inclusion":
		index, proof, inner, _ := parseTlogProof(must(os.ReadFile(*proofFile)))
		pcp := openCheckpoint(inner, verifier)
		leaf := tlog.RecordHash(must(os.ReadFile(*entryFile)))
		check(tlog.CheckRecord(proof, int64(pcp.Size), tlog.Hash(pcp.Hash), index, leaf), "inclusion proof")
		if int64(pcp.Size) == tree.N {
			mine, err := tlog.ProveRecord(tree.N, index, hashes)
			check(err, "prove record from tiles")
			if !equalProofs(mine, proof) {
				fail(errors.New("the proof differs from the one Go computes from the tiles"))
			}
		}
		fmt.Printf("ok inclusion of %d in %d\n", index, pcp.Size)
	case "consistency":
		old := openCheckpoint(must(os.ReadFile(*oldFile)), verifier)
		proof := parseHashLines(string(must(os.ReadFile(*proofFile))))
		check(tlog.CheckTree(proof, tree.N, tree.Hash, int64(old.Size), tlog.Hash(old.Hash)), "consistency proof")
		mine, err := tlog.ProveTree(tree.N, int64(old.Size), hashes)
		check(err, "prove tree from tiles")
		if !equalProofs(mine, proof) {
			fail(errors.New("the proof differs from the one Go computes from the tiles"))
		}
		fmt.Printf("ok consistency %d -> %d\n", old.Size, tree.N)
	default:
		fail(fmt.Errorf("unknown command %q", os.Args[1]))
	}
}

func readVerifier(path string) note.Verifier {
	v, err := fnote.NewVerifier(strings.TrimSpace(string(must(os.ReadFile(path)))))
	check(err, "verifier key")
	return v
}

func openCheckpoint(text []byte, v note.Verifier) *flog.Checkpoint {
	cp, _, _, err := flog.ParseCheckpoint(text, v.Name(), v)
	check(err, "checkpoint")
	return cp
}

// dirTiles reads tiles from the C2SP layout: tile/<L>/<N>[.p/<W>], without sumdb's height element.
type dirTiles struct{ dir string }

func (d *dirTiles) Height() int { return tileHeight }

func (d *dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := os.ReadFile(filepath.Join(d.dir, c2spPath(t)))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (d *dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

func c2spPath(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", tileHeight))
	return "tile/" + strings.Replace(p, "data/", "entries/", 1)
}

// checkEntries reads every entry bundle and checks each entry's RFC 6962 leaf hash is the tree's.
func checkEntries(dir string, tree tlog.Tree, hashes tlog.HashReader) {
	for n := int64(0); n*256 < tree.N; n++ {
		width := min(256, tree.N-n*256)
		t := tlog.Tile{H: tileHeight, L: -1, N: n, W: int(width)}
		bundle := must(os.ReadFile(filepath.Join(dir, c2spPath(t))))
		var indexes []int64
		var leaves []tlog.Hash
		for len(bundle) > 0 {
			if len(bundle) < 2 {
				fail(fmt.Errorf("entry bundle %s: truncated length", c2spPath(t)))
			}
			size := int(binary.BigEndian.Uint16(bundle))
			if len(bundle) < 2+size {
				fail(fmt.Errorf("entry bundle %s: truncated entry", c2spPath(t)))
			}
			indexes = append(indexes, tlog.StoredHashIndex(0, n*256+int64(len(leaves))))
			leaves = append(leaves, tlog.RecordHash(bundle[2:2+size]))
			bundle = bundle[2+size:]
		}
		if int64(len(leaves)) != width {
			fail(fmt.Errorf("entry bundle %s holds %d entries, expected %d", c2spPath(t), len(leaves), width))
		}
		stored, err := hashes.ReadHashes(indexes)
		check(err, "leaf hashes")
		for i := range leaves {
			if leaves[i] != stored[i] {
				fail(fmt.Errorf("entry %d does not hash to its leaf in the tree", n*256+int64(i)))
			}
		}
	}
}

// parseTlogProof reads c2sp.org/tlog-proof@v1: header, optional extra, index, hashes, blank, checkpoint.
func parseTlogProof(text []byte) (int64, tlog.RecordProof, []byte, []byte) {
	head, checkpoint, found := bytes.Cut(text, []byte("\n\n"))
	if !found {
		fail(errors.New("tlog proof: no blank line before the checkpoint"))
	}
	lines := strings.Split(string(head), "\n")
	if lines[0] != "c2sp.org/tlog-proof@v1" {
		fail(fmt.Errorf("tlog proof: bad header %q", lines[0]))
	}
	lines = lines[1:]
	var extra []byte
	if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") {
		var err error
		extra, err = base64.StdEncoding.DecodeString(strings.TrimPrefix(lines[0], "extra "))
		check(err, "tlog proof extra")
		lines = lines[1:]
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "index ") {
		fail(errors.New("tlog proof: no index line"))
	}
	index, err := strconv.ParseInt(strings.TrimPrefix(lines[0], "index "), 10, 64)
	check(err, "tlog proof index")
	return index, tlog.RecordProof(parseHashLines(strings.Join(lines[1:], "\n"))), checkpoint, extra
}

func parseHashLines(text string) []tlog.Hash {
	var out []tlog.Hash
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if line == "" {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(line)
		check(err, "proof hash")
		if len(b) != tlog.HashSize {
			fail(fmt.Errorf("proof hash of %d bytes", len(b)))
		}
		out = append(out, tlog.Hash(b))
	}
	return out
}

func equalProofs(a, b []tlog.Hash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func must[T any](v T, err error) T {
	check(err, "read")
	return v
}

func check(err error, what string) {
	if err != nil {
		fail(fmt.Errorf("%s: %w", what, err))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "tlog-check:", err)
	os.Exit(1)
}
