/**
 * Content-addressed blobs (task bundles, input and output files) held in memory, keyed by the
 * lowercase hex sha256 of their bytes. The store trusts its callers to have verified the digest
 * (`BlobsService.put` does, before calling `put`).
 */
export class BlobStore {
  private readonly blobs = new Map<string, Buffer>();
  private bytes = 0;

  /** Whether a blob with this digest is stored. */
  has(digest: string): boolean {
    return this.blobs.has(digest);
  }

  /** The blob's bytes, or `undefined`. */
  get(digest: string): Buffer | undefined {
    return this.blobs.get(digest);
  }

  /** Stores verified bytes under their digest (storing the same blob twice is a no-op). */
  put(digest: string, data: Buffer): void {
    if (this.blobs.has(digest)) return;
    this.blobs.set(digest, data);
    this.bytes += data.length;
  }

  /** Number of blobs stored. */
  get count(): number {
    return this.blobs.size;
  }

  /** Total bytes stored. */
  get totalBytes(): number {
    return this.bytes;
  }
}
