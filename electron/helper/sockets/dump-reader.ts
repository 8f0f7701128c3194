// One sock_diag dump read against the previous dump of the same query, so that a poll of an
// unchanged socket table parses nothing and allocates nothing.
import type { TransportProtocol } from '../../../shared/runtime/state';
import { AF_INET, AF_INET6, MESSAGE_SIZE, parseKernelSocket, readV6OnlyAttribute, withBoundInterface, type KernelSocket } from './diag-message';

/** Interface index → name (InterfaceNames in sock-diag.ts). */
export interface InterfaceNaming {
  nameOf(index: number): Promise<string | undefined>;
}

/**
 * The facts of an inet_diag_msg that its KernelSocket is made of, as words to compare: family,
 * state and IPV6_V6ONLY; the ports; local and remote address; bound interface; uid; inode.
 * Timers and queue lengths, which change by the moment, are left out.
 */
const FACT_WORDS = 13;
const WORD_IFINDEX = 10;
const WORD_INODE = 12;

/** Which words of the message (struct inet_diag_msg, in 32-bit words) each fact after the first is. */
const MESSAGE_WORD_OF_FACT = [-1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 16, 17];

/**
 * A reply datagram seen as host-order 32-bit words: netlink messages and the inet_diag_msg fields
 * are 4-byte aligned, so facts are compared word by word, without decoding.
 */
export function wordsOf(datagram: Buffer): Int32Array {
  if (datagram.byteOffset % 4 === 0) return new Int32Array(datagram.buffer, datagram.byteOffset, datagram.length >>> 2);
  const copy = new Int32Array(datagram.length >>> 2);
  new Uint8Array(copy.buffer).set(datagram.subarray(0, copy.length * 4));
  return copy;
}

/** The first fact: family, state and IPV6_V6ONLY (0 absent, 1 off, 2 on). */
function headFact(data: Buffer, at: number, end: number): number {
  const family = data[at] as number;
  const v6Only = family === AF_INET6 ? readV6OnlyAttribute(data, at, end) : undefined;
  return family | ((data[at + 1] as number) << 8) | ((v6Only === undefined ? 0 : v6Only ? 2 : 1) << 16);
}

function sameFacts(head: number, words: Int32Array, word: number, facts: Int32Array, offset: number): boolean {
  if (facts[offset] !== head) return false;
  for (let fact = 1; fact < FACT_WORDS; fact++) if (facts[offset + fact] !== words[word + (MESSAGE_WORD_OF_FACT[fact] as number)]) return false;
  return true;
}

function writeFacts(head: number, words: Int32Array, word: number, facts: Int32Array, offset: number): void {
  facts[offset] = head;
  for (let fact = 1; fact < FACT_WORDS; fact++) facts[offset + fact] = words[word + (MESSAGE_WORD_OF_FACT[fact] as number)] as number;
}

/** What one dump returned, kept so that the next dump of the same query can tell what changed. */
export interface DumpMemory {
  count: number;
  /** count × FACT_WORDS */
  facts: Int32Array;
  sockets: KernelSocket[];
}

export const NOTHING_REMEMBERED: DumpMemory = { count: 0, facts: new Int32Array(0), sockets: [] };

/**
 * Reads one dump against the previous dump of the same query. The kernel lists sockets in
 * hash-table order, which stays put while none come or go, so an unchanged dump is compared
 * message by message and nothing is parsed or allocated; from the first difference on, sockets
 * are matched by inode and only new or changed ones are parsed.
 */
export class DumpReader {
  private count = 0;
  /** Set from the first difference on: this dump's own facts and sockets. */
  private facts: Int32Array | undefined;
  private sockets: KernelSocket[] = [];
  private previousByInode: Map<number, number> | undefined;

  constructor(private readonly protocol: TransportProtocol, private readonly previous: DumpMemory) {}

  /** One reply payload (an inet_diag_msg), data[at, end), 4-byte aligned; `words` is wordsOf(data). */
  add(data: Buffer, words: Int32Array, at: number, end: number): void {
    if (end - at < MESSAGE_SIZE) return;
    const family = data[at];
    if (family !== AF_INET && family !== AF_INET6) return;
    const head = headFact(data, at, end);
    const word = at >>> 2;
    const index = this.count;
    if (this.facts === undefined) {
      if (index < this.previous.count && sameFacts(head, words, word, this.previous.facts, index * FACT_WORDS)) {
        this.count++;
        return;
      }
      this.diverge();
    }
    const facts = this.room(index + 1);
    const offset = index * FACT_WORDS;
    writeFacts(head, words, word, facts, offset);
    const before = this.previousIndexOf(facts[offset + WORD_INODE] as number);
    const unchanged = before !== undefined && sameFacts(head, words, word, this.previous.facts, before * FACT_WORDS);
    this.sockets.push(unchanged ? this.previous.sockets[before] as KernelSocket : parseKernelSocket(data, this.protocol, at, end) as KernelSocket);
    this.count++;
  }

  /**
   * The dump's sockets with their bound interfaces named, and whether anything differs from the
   * previous dump (if not, the previous memory itself, its socket array included, is returned).
   */
  async finish(interfaces: InterfaceNaming): Promise<{ memory: DumpMemory; changed: boolean }> {
    if (this.facts === undefined && this.count !== this.previous.count) this.diverge();
    // Names are looked up afresh every time: udev renames an interface just after it appears.
    const names = new Map<number, string | undefined>();
    for (let index = 0; index < this.count; index++) {
      const ifindex = ((this.facts ?? this.previous.facts)[index * FACT_WORDS + WORD_IFINDEX] as number) >>> 0;
      if (ifindex === 0) continue;
      if (!names.has(ifindex)) names.set(ifindex, await interfaces.nameOf(ifindex));
      const name = names.get(ifindex);
      const socket = (this.facts ? this.sockets : this.previous.sockets)[index] as KernelSocket;
      if (socket.boundInterface === name) continue;
      this.diverge();
      this.sockets[index] = withBoundInterface(socket, name);
    }
    if (this.facts === undefined) return { memory: this.previous, changed: false };
    return { memory: { count: this.count, facts: this.facts.slice(0, this.count * FACT_WORDS), sockets: this.sockets }, changed: true };
  }

  /** From here on this dump keeps its own copy, starting with the part that matched. */
  private diverge(): void {
    if (this.facts !== undefined) return;
    this.facts = this.previous.facts.slice(0, Math.max(this.previous.count, this.count + 64) * FACT_WORDS);
    this.sockets = this.previous.sockets.slice(0, this.count);
  }

  private room(count: number): Int32Array {
    let facts = this.facts as Int32Array;
    if (facts.length < count * FACT_WORDS) {
      const grown = new Int32Array(Math.max(count, 64, (facts.length / FACT_WORDS) * 2) * FACT_WORDS);
      grown.set(facts);
      facts = this.facts = grown;
    }
    return facts;
  }

  private previousIndexOf(inodeWord: number): number | undefined {
    if (!this.previousByInode) {
      this.previousByInode = new Map();
      for (let index = 0; index < this.previous.count; index++) {
        this.previousByInode.set(this.previous.facts[index * FACT_WORDS + WORD_INODE] as number, index);
      }
    }
    return this.previousByInode.get(inodeWord);
  }
}
