// The independent checker of s3-seal's transparency log (test/integration/tlog-interop.test.ts).
// Versions are pinned exactly; go.sum pins their hashes, so a fresh clone downloads them through the
// Go module proxy and verifies them offline. formats is the version tessera v1.0.4 uses.
module s3seal.test/tlog-check

go 1.24.0

require (
	github.com/transparency-dev/formats v0.0.0-20251017110053-404c0d5b696c
	golang.org/x/mod v0.33.0
)
