/**
 * A token bucket per connection: `burst` frames at once, refilled at `perSecond`.
 * A client above it is flooding and is disconnected (close 1008).
 */
export class RateLimiter {
  private tokens: number;
  private last = Date.now();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }

  /** Whether a token is left, without taking it. */
  peek(): boolean {
    this.refill();
    return this.tokens >= 1;
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * Token buckets keyed by remote address, for failed token (and secret)
 * attempts: guessing is throttled per address, not per connection, since a
 * guesser simply opens a new connection for every try. At most `maxKeys`
 * addresses are remembered; when full, the oldest is forgotten.
 */
export class AddressLimiter {
  private readonly buckets = new Map<string, RateLimiter>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Whether `address` may still try (a failed attempt takes one token). */
  allowed(address: string): boolean {
    return this.buckets.get(address)?.peek() ?? true;
  }

  /** Counts one failed attempt of `address`. */
  failed(address: string): void {
    let bucket = this.buckets.get(address);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
      this.buckets.set(address, (bucket = new RateLimiter(this.perSecond, this.burst)));
    }
    bucket.take();
  }
}
