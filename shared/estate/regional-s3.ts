import { S3Client } from '@aws-sdk/client-s3';

/**
 * S3 clients by region: a bucket is read through a client of its own region, so an estate that
 * spans regions needs no redirect (S3 answers 301 PermanentRedirect to a request signed for
 * another region). The configured client serves its own region; others are built on first use with
 * its endpoint, addressing style and retries.
 */
export class RegionalS3 {
  private readonly clients = new Map<string, S3Client>();
  private home?: string;

  constructor(private readonly base: S3Client) {}

  async for(region: string | undefined): Promise<S3Client> {
    this.home ??= await this.base.config.region();
    if (!region || region === this.home) return this.base;
    let client = this.clients.get(region);
    if (!client) {
      client = new S3Client({
        region,
        forcePathStyle: this.base.config.forcePathStyle,
        maxAttempts: 5,
      });
      this.clients.set(region, client);
    }
    return client;
  }

  destroy(): void {
    for (const client of this.clients.values()) client.destroy();
  }
}
