// The memory that socket dumps read through the `netlink` package's events leave behind (polls
// read synchronously into one reused buffer and leave none: sock-diag.ts; complete listings and
// kernels where that is not possible still come this way). The package hands every reply
// datagram over in a buffer of its own, allocated outside V8's heap; V8 frees such a buffer only
// when it collects the young generation, which a helper at rest fills very slowly, or when outside
// memory passes ~20 MB. Thousands of sockets listed repeatedly would leave tens of MB of replies
// already read. So after every few MB of replies the young generation (where the buffers' handles
// live) is collected: well under a millisecond, as it is mostly garbage.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Reply bytes between two collections. */
const COLLECT_EVERY_BYTES = 2 * 1024 * 1024;

type CollectGarbage = (options: { type: 'minor' | 'major'; execution: 'sync' }) => void;

let pendingBytes = 0;
let collect: CollectGarbage | undefined;

/** V8's gc(), obtained without --expose-gc on the command line: it appears in contexts made from now on. */
function collector(): CollectGarbage {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as CollectGarbage;
  }
  return collect;
}

/** Counts the bytes allocated for one reply datagram. */
export function replyReceived(bytes: number): void {
  pendingBytes += bytes;
}

/**
 * Collects the young generation if enough reply bytes have piled up. Called between dumps, when
 * no reply is still being read (a buffer in use would survive, and wait for a full collection).
 */
export function collectRepliesIfDue(): void {
  if (pendingBytes < COLLECT_EVERY_BYTES) return;
  pendingBytes = 0;
  collector()({ type: 'minor', execution: 'sync' });
}
