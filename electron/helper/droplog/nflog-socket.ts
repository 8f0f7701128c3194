// The netlink socket Palisade's NFLOG group is bound to. The kernel hands each group to one
// socket per network namespace, so this is also the namespace of the process that opens it.
//
// Events: 'packets' (NflogPacket[]) per datagram; 'overrun' when the kernel dropped messages
// because the receive buffer was full (ENOBUFS; the socket keeps working); 'error' otherwise.
import { EventEmitter } from 'node:events';
import { constants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import { Protocol, RawNetlinkSocket } from 'netlink';
import { encodeBindRequest, parseDatagram, type BindOptions } from './nflog';

const { ENOBUFS, EPERM } = constants.errno;
/** Room for bursts while the event loop is busy elsewhere (the kernel's default is ~200 KiB). */
const RECEIVE_BUFFER_BYTES = 1 << 20;
const BIND_TIMEOUT_MS = 5000;

/** Where logged packets come from; the reader is tested with a fake one. */
export interface PacketSource extends EventEmitter {
  open(): Promise<void>;
  close(): void;
}

export class NflogSocket extends EventEmitter implements PacketSource {
  private socket: RawNetlinkSocket | undefined;
  /** Requests waiting for the kernel's answer, by sequence number. */
  private readonly waiting = new Map<number, (err?: Error) => void>();
  private seq = 0;

  constructor(private readonly opts: BindOptions) {
    super();
  }

  /** Opens the socket and binds the group; rejects if the kernel refuses (EPERM: another socket has the group). */
  async open(): Promise<void> {
    if (this.socket) return;
    const socket = new RawNetlinkSocket(Protocol.NETFILTER);
    this.socket = socket;
    socket.on('message', (data) => this.receive(data));
    socket.on('error', (err) => {
      if (err.errno === ENOBUFS || err.errno === -ENOBUFS) this.emit('overrun');
      else this.emit('error', err);
    });
    try {
      socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
      await this.request(socket);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
    for (const settle of [...this.waiting.values()]) settle(new Error('NFLOG socket closed'));
  }

  /** Sends the bind request and waits for the kernel's acknowledgement. */
  private request(socket: RawNetlinkSocket): Promise<void> {
    const seq = this.seq = (this.seq % 0x7fffffff) + 1;
    return new Promise<void>((resolve, reject) => {
      const settle = (err?: Error) => {
        clearTimeout(timer);
        this.waiting.delete(seq);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => settle(new Error(`NFLOG group ${this.opts.group}: no answer from the kernel`)), BIND_TIMEOUT_MS);
      this.waiting.set(seq, settle);
      socket.send(encodeBindRequest(this.opts, seq), {}, (err) => { if (err) settle(err); });
    });
  }

  private receive(datagram: Buffer): void {
    let parsed;
    try {
      parsed = parseDatagram(datagram);
    } catch (err) {
      this.emit('error', err);
      return;
    }
    for (const { seq, errno } of parsed.acks) {
      this.waiting.get(seq)?.(errno === 0 ? undefined : new Error(`NFLOG group ${this.opts.group}: bind refused (${refusal(errno)})`));
    }
    if (parsed.packets.length) this.emit('packets', parsed.packets);
  }
}

/** The errno's name; EPERM to root means the group is bound to another socket. */
function refusal(errno: number): string {
  let name = `errno ${errno}`;
  try {
    name = getSystemErrorName(-errno);
  } catch {
    // not an errno Node knows
  }
  return errno === EPERM ? `${name}: another program reads this group` : name;
}
