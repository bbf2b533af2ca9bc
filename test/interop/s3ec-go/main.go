// Command s3ec-check writes and reads objects with the official Amazon S3 Encryption Client for Go,
// so that s3-seal's integration tests can prove interop with it (issue 13, point 5). It is test
// tooling: it reads endpoints and credentials from the standard AWS variables (localstack/local.env)
// and prints nothing on success except what a subcommand is for.
//
//	s3ec-check put --format v3|v2 --bucket B --key K --kms-key KEY --in FILE [--meta NAME=VALUE ...] [--context NAME=VALUE ...]
//	s3ec-check get --bucket B --key K --out FILE [--policy require-require|require-allow|forbid-allow] [--kms-key KEY] [--context NAME=VALUE ...]
//	s3ec-check head-meta --bucket B --key K
//
// --context is the client's per-request encryption context: on put the data key is bound to it
// (beside aws:x-amz-cek-alg); on get the client requires the stored context to equal it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	s3ecv3 "github.com/aws/amazon-s3-encryption-client-go/v3/client"
	materialsv3 "github.com/aws/amazon-s3-encryption-client-go/v3/materials"
	s3ecv4 "github.com/aws/amazon-s3-encryption-client-go/v4/client"
	"github.com/aws/amazon-s3-encryption-client-go/v4/commitment"
	materialsv4 "github.com/aws/amazon-s3-encryption-client-go/v4/materials"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// errUsage marks a bad command line: exit 2, as flag does, rather than 1 (the client failed).
var errUsage = errors.New("usage")

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "s3ec-check: %v\n", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: s3ec-check put|get|head-meta [flags]", errUsage)
	}
	switch args[0] {
	case "put":
		return put(ctx, args[1:])
	case "get":
		return get(ctx, args[1:])
	case "head-meta":
		return headMeta(ctx, args[1:])
	default:
		return fmt.Errorf("%w: unknown command %q (put, get, head-meta)", errUsage, args[0])
	}
}

// parse reads a subcommand's flags and insists on the ones named in required.
func parse(fs *flag.FlagSet, args []string, required ...string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %s: %v", errUsage, fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: %s: unexpected argument %q", errUsage, fs.Name(), fs.Arg(0))
	}
	for _, name := range required {
		if fs.Lookup(name).Value.String() == "" {
			return fmt.Errorf("%w: %s: --%s is required", errUsage, fs.Name(), name)
		}
	}
	return nil
}

// pairsFlag declares a repeatable NAME=VALUE flag and returns the map it fills.
func pairsFlag(fs *flag.FlagSet, name, usage string) map[string]string {
	pairs := map[string]string{}
	fs.Func(name, usage, func(pair string) error {
		key, value, ok := strings.Cut(pair, "=")
		if !ok || key == "" {
			return fmt.Errorf("want NAME=VALUE, got %q", pair)
		}
		pairs[key] = value
		return nil
	})
	return pairs
}

// withEncryptionContext passes an encryption context the way both client modules read it: a
// context value under their (identical) EncryptionContext key. An empty map passes none.
func withEncryptionContext(ctx context.Context, pairs map[string]string) context.Context {
	if len(pairs) == 0 {
		return ctx
	}
	return context.WithValue(ctx, s3ecv4.EncryptionContext, pairs)
}

// clients builds plain S3 and KMS clients from the standard AWS configuration. The SDK version this
// module pins predates its own AWS_ENDPOINT_URL support, so the endpoint is applied here; path-style
// addressing follows the same switch s3-seal reads (LocalStack serves S3 on one host name).
func clients(ctx context.Context) (*s3.Client, *kms.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("loading AWS config: %w", err)
	}
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	s3Client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.UsePathStyle = os.Getenv("S3SEAL_S3_FORCE_PATH_STYLE") == "true"
	})
	kmsClient := kms.NewFromConfig(cfg, func(o *kms.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	return s3Client, kmsClient, nil
}

func put(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("put", flag.ContinueOnError)
	format := fs.String("format", "", "v3 (the v4 module's default client) or v2 (the v3 module's default client)")
	bucket := fs.String("bucket", "", "bucket")
	key := fs.String("key", "", "object key")
	kmsKey := fs.String("kms-key", "", "KMS key id or ARN that wraps the data key")
	in := fs.String("in", "", "file holding the plaintext")
	userMetadata := pairsFlag(fs, "meta", "user metadata NAME=VALUE (repeatable)")
	encryptionContext := pairsFlag(fs, "context", "encryption context NAME=VALUE (repeatable)")
	if err := parse(fs, args, "format", "bucket", "key", "kms-key", "in"); err != nil {
		return err
	}
	ctx = withEncryptionContext(ctx, encryptionContext)
	s3Client, kmsClient, err := clients(ctx)
	if err != nil {
		return err
	}
	body, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer body.Close()
	// The client adds its envelope to this map; the user's own pairs stay beside it.
	input := &s3.PutObjectInput{Bucket: bucket, Key: key, Body: body, Metadata: userMetadata}

	switch *format {
	case "v3":
		// The v4 module with every default: REQUIRE_ENCRYPT_REQUIRE_DECRYPT, which writes suite 115 (V3).
		cmm, err := materialsv4.NewCryptographicMaterialsManager(materialsv4.NewKmsKeyring(kmsClient, *kmsKey))
		if err != nil {
			return err
		}
		client, err := s3ecv4.New(s3Client, cmm)
		if err != nil {
			return err
		}
		_, err = client.PutObject(ctx, input)
		return err
	case "v2":
		// The v3 module with every default: FORBID_ENCRYPT_ALLOW_DECRYPT, which writes AES/GCM (V2).
		cmm, err := materialsv3.NewCryptographicMaterialsManager(materialsv3.NewKmsKeyring(kmsClient, *kmsKey))
		if err != nil {
			return err
		}
		client, err := s3ecv3.New(s3Client, cmm)
		if err != nil {
			return err
		}
		_, err = client.PutObject(ctx, input)
		return err
	default:
		return fmt.Errorf("%w: put: --format must be v3 or v2, not %q", errUsage, *format)
	}
}

var policies = map[string]commitment.CommitmentPolicy{
	"require-require": commitment.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
	"require-allow":   commitment.REQUIRE_ENCRYPT_ALLOW_DECRYPT,
	"forbid-allow":    commitment.FORBID_ENCRYPT_ALLOW_DECRYPT,
}

func get(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("get", flag.ContinueOnError)
	bucket := fs.String("bucket", "", "bucket")
	key := fs.String("key", "", "object key")
	out := fs.String("out", "", "file to write the plaintext to")
	// require-require is the v4 client's default commitment policy: it reads only V3 objects.
	policyName := fs.String("policy", "require-require", "require-require (default), require-allow or forbid-allow")
	kmsKey := fs.String("kms-key", "", "only unwrap under this KMS key (default: whichever key wrapped it)")
	encryptionContext := pairsFlag(fs, "context", "require this encryption context NAME=VALUE (repeatable)")
	if err := parse(fs, args, "bucket", "key", "out"); err != nil {
		return err
	}
	ctx = withEncryptionContext(ctx, encryptionContext)
	policy, ok := policies[*policyName]
	if !ok {
		return fmt.Errorf("%w: get: unknown --policy %q", errUsage, *policyName)
	}
	s3Client, kmsClient, err := clients(ctx)
	if err != nil {
		return err
	}
	var keyring materialsv4.Keyring = materialsv4.NewKmsDecryptOnlyAnyKeyKeyring(kmsClient)
	if *kmsKey != "" {
		keyring = materialsv4.NewKmsKeyring(kmsClient, *kmsKey)
	}
	cmm, err := materialsv4.NewCryptographicMaterialsManager(keyring)
	if err != nil {
		return err
	}
	client, err := s3ecv4.New(s3Client, cmm, func(o *s3ecv4.EncryptionClientOptions) {
		o.CommitmentPolicy = policy
	})
	if err != nil {
		return err
	}
	got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: key})
	if err != nil {
		return err
	}
	defer got.Body.Close()
	// The client authenticates the whole object before it releases plaintext, so a failed read
	// surfaces here or above; the file is written only from an authenticated stream.
	plaintext, err := io.ReadAll(got.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(*out, plaintext, 0o600)
}

func headMeta(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("head-meta", flag.ContinueOnError)
	bucket := fs.String("bucket", "", "bucket")
	key := fs.String("key", "", "object key")
	if err := parse(fs, args, "bucket", "key"); err != nil {
		return err
	}
	s3Client, _, err := clients(ctx)
	if err != nil {
		return err
	}
	head, err := s3Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: key})
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(head.Metadata)
}
