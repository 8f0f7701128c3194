// What both network watchers share: re-reading the whole state after any change (one read at a
// time, changes that arrive meanwhile folded into one more read), and publishing the list only
// when it really differs from the last one.
import { EventEmitter } from 'node:events';
import type { ActiveNetwork } from '../../../shared/runtime/networks';

/** A read that failed is tried again after this long, in case no further change comes to trigger it. */
const RETRY_MS = 1_000;

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A text that is equal for two networks exactly when every field is equal. */
function fingerprint(net: ActiveNetwork): string {
  const identity = Object.entries(net.identity).sort(([a], [b]) => compare(a, b));
  return JSON.stringify([net.interface, identity, net.name, net.primary]);
}

/** Interface order, so that the same networks always make the same list. */
function sorted(list: readonly ActiveNetwork[]): ActiveNetwork[] {
  return [...list].sort((a, b) => compare(a.interface, b.interface) || compare(fingerprint(a), fingerprint(b)));
}

export function sameNetworks(a: readonly ActiveNetwork[], b: readonly ActiveNetwork[]): boolean {
  const left = sorted(a).map(fingerprint);
  const right = sorted(b).map(fingerprint);
  return left.length === right.length && left.every((print, i) => print === right[i]);
}

export abstract class NetworkListEmitter extends EventEmitter {
  private published: ActiveNetwork[] = [];
  private reading: Promise<void> | undefined;
  private readAgain = false;
  private retryTimer: NodeJS.Timeout | undefined;
  protected stopped = false;

  /** Reads the networks from the source; undefined keeps the last list (the read could not finish). */
  protected abstract read(): Promise<ActiveNetwork[] | undefined>;

  current(): ActiveNetwork[] {
    return this.published.map((net) => ({ ...net, identity: { ...net.identity } }));
  }

  /** A read is under way: a change noticed now may or may not be in it, so it calls for another. */
  protected get readInProgress(): boolean {
    return this.reading !== undefined;
  }

  /** Re-reads and publishes; resolves once a read that started after this call has finished. */
  protected refresh(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.reading) {
      this.readAgain = true;
      return this.reading;
    }
    this.reading = this.readUntilSettled();
    return this.reading;
  }

  private async readUntilSettled(): Promise<void> {
    try {
      do {
        this.readAgain = false;
        try {
          const list = await this.read();
          if (list) this.publish(list);
        } catch (err) {
          this.report(err);
          this.retryLater();
        }
      } while (this.readAgain && !this.stopped);
    } finally {
      // Cleared in the same step as the last check of readAgain, so no request falls in between.
      this.reading = undefined;
    }
  }

  protected publish(list: readonly ActiveNetwork[]): void {
    if (this.stopped || sameNetworks(list, this.published)) return;
    this.published = sorted(list);
    this.emit('change', this.current());
  }

  /** Failures are news, not fatal: the watcher keeps following and reads again on the next change. */
  protected report(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err instanceof Error ? err : new Error(String(err)));
  }

  protected retryLater(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.refresh();
    }, RETRY_MS);
    this.retryTimer.unref();
  }

  /** Lets a running read finish before stop() returns, so nothing is published afterwards. */
  protected async settle(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.reading;
  }
}
