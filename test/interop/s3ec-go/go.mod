// The interop checker for s3-seal's integration tests (test/integration/s3ec-interop.test.ts).
// Versions are pinned exactly: the Go module proxy does not answer @latest for the S3EC modules.
// v3.2.0 and v4.0.0 are the same release (repository tag commit 73a676b); their go.sum hashes were
// recorded when sum.golang.org had no entry reachable for v4.0.0, and the downloaded module trees
// were compared file by file with that tag's v3/ and v4/ directories. The AWS SDK versions are the
// ones the client's own migration examples use (they have BaseEndpoint, which the checker needs).
module s3seal.test/s3ec-check

go 1.24

require (
	github.com/aws/amazon-s3-encryption-client-go/v3 v3.2.0
	github.com/aws/amazon-s3-encryption-client-go/v4 v4.0.0
	github.com/aws/aws-sdk-go-v2 v1.24.0
	github.com/aws/aws-sdk-go-v2/config v1.26.1
	github.com/aws/aws-sdk-go-v2/service/kms v1.27.4
	github.com/aws/aws-sdk-go-v2/service/s3 v1.47.5
)

require (
	github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream v1.5.4 // indirect
	github.com/aws/aws-sdk-go-v2/credentials v1.16.12 // indirect
	github.com/aws/aws-sdk-go-v2/feature/ec2/imds v1.14.10 // indirect
	github.com/aws/aws-sdk-go-v2/internal/configsources v1.2.9 // indirect
	github.com/aws/aws-sdk-go-v2/internal/endpoints/v2 v2.5.9 // indirect
	github.com/aws/aws-sdk-go-v2/internal/ini v1.7.2 // indirect
	github.com/aws/aws-sdk-go-v2/internal/v4a v1.2.9 // indirect
	github.com/aws/aws-sdk-go-v2/service/internal/accept-encoding v1.10.4 // indirect
	github.com/aws/aws-sdk-go-v2/service/internal/checksum v1.2.9 // indirect
	github.com/aws/aws-sdk-go-v2/service/internal/presigned-url v1.10.9 // indirect
	github.com/aws/aws-sdk-go-v2/service/internal/s3shared v1.16.9 // indirect
	github.com/aws/aws-sdk-go-v2/service/sso v1.18.5 // indirect
	github.com/aws/aws-sdk-go-v2/service/ssooidc v1.21.5 // indirect
	github.com/aws/aws-sdk-go-v2/service/sts v1.26.5 // indirect
	github.com/aws/smithy-go v1.19.0 // indirect
)
