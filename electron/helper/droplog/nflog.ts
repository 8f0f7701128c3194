// NFLOG messages (linux/netfilter/nfnetlink_log.h): the config request that binds Palisade's log
// group to a netlink socket, and the packet messages the kernel then sends it.
//
// Hand-written because the `netlink` package only frames messages (nlmsghdr) and has no
// nfnetlink family; what is encoded and parsed here is the nfgenmsg header and its attributes.
// Netlink attribute headers are in host byte order; nfnetlink_log's values are big-endian.
import { endianness } from 'node:os';
import { Flags, MessageType, formatMessage, parseMessages } from 'netlink';

/** nfnetlink subsystem of NFLOG (NFNL_SUBSYS_ULOG) and its message types. */
const NFNL_SUBSYS_ULOG = 4;
export const NFULNL_MSG_PACKET = (NFNL_SUBSYS_ULOG << 8) | 0;
export const NFULNL_MSG_CONFIG = (NFNL_SUBSYS_ULOG << 8) | 1;

/** Config attributes (enum nfulnl_attr_config) and commands (enum nfulnl_msg_config_cmds). */
const NFULA_CFG_CMD = 1;
const NFULA_CFG_MODE = 2;
const NFULA_CFG_TIMEOUT = 4;
const NFULNL_CFG_CMD_BIND = 1;
const NFULNL_COPY_PACKET = 2;

/** Packet attributes (enum nfulnl_attr_type). */
const NFULA_PACKET_HDR = 1;
const NFULA_TIMESTAMP = 3;
const NFULA_IFINDEX_INDEV = 4;
const NFULA_IFINDEX_OUTDEV = 5;
const NFULA_PAYLOAD = 9;
const NFULA_PREFIX = 10;

/** nla_type without NLA_F_NESTED / NLA_F_NET_BYTEORDER. */
const NLA_TYPE_MASK = 0x3fff;
const AF_INET = 2;
const AF_INET6 = 10;

const LITTLE_ENDIAN = endianness() === 'LE';
const readU16 = (b: Buffer, at: number) => (LITTLE_ENDIAN ? b.readUInt16LE(at) : b.readUInt16BE(at));
const readS32 = (b: Buffer, at: number) => (LITTLE_ENDIAN ? b.readInt32LE(at) : b.readInt32BE(at));
const writeU16 = (b: Buffer, value: number, at: number) => (LITTLE_ENDIAN ? b.writeUInt16LE(value, at) : b.writeUInt16BE(value, at));

/** One logged packet, as the kernel reported it. */
export interface NflogPacket {
  /** 4 or 6 from nfgen_family; undefined for other families (bridge, arp). */
  family: 4 | 6 | undefined;
  group: number;
  prefix: string;
  /** Netfilter hook (NF_INET_PRE_ROUTING = 0 … POST_ROUTING = 4), when the kernel sent one. */
  hook?: number;
  inIfindex?: number;
  outIfindex?: number;
  /** The packet's timestamp, when it had one (only if something enabled timestamping). */
  timestamp?: Date;
  /** The packet from the network header on, cut to the copy range. */
  payload?: Buffer;
}

/** One netlink attribute: header (length, type) in host order, payload padded to 4 bytes. */
export function encodeAttribute(type: number, payload: Buffer): Buffer {
  const length = 4 + payload.length;
  const attr = Buffer.alloc((length + 3) & ~3);
  writeU16(attr, length, 0);
  writeU16(attr, type, 2);
  payload.copy(attr, 4);
  return attr;
}

/** struct nfgenmsg: family, version (NFNETLINK_V0), resource id (the group, big-endian). */
function nfgenmsg(family: number, group: number): Buffer {
  const header = Buffer.alloc(4);
  header[0] = family;
  header.writeUInt16BE(group, 2);
  return header;
}

export interface BindOptions {
  group: number;
  /** Bytes of each packet to copy (from the network header). */
  copyRange: number;
  /** Longest time the kernel holds logged packets before sending them, in 1/100 s. */
  flushTimeout: number;
}

/**
 * One config request: bind the group to the sending socket, copy packets (the first
 * `copyRange` bytes), send batches after at most `flushTimeout`. The kernel applies the
 * command first, then the settings, to the instance the command created. Asks for an ACK so a
 * refusal (EBUSY: the group is someone else's; EPERM) is seen.
 *
 * No NFULNL_CFG_CMD_PF_BIND: nftables' `log group N` names the NFLOG logger explicitly, so it
 * needs no per-family default logger, and binding one would change what the rest of the
 * namespace's logging (conntrack's, other tables') goes to.
 */
export function encodeBindRequest(opts: BindOptions, seq: number): Uint8Array[] {
  const mode = Buffer.alloc(6); // struct nfulnl_msg_config_mode (packed): copy_range, copy_mode, pad
  mode.writeUInt32BE(opts.copyRange, 0);
  mode[4] = NFULNL_COPY_PACKET;
  const timeout = Buffer.alloc(4);
  timeout.writeUInt32BE(opts.flushTimeout, 0);
  const data = Buffer.concat([
    nfgenmsg(0, opts.group),
    encodeAttribute(NFULA_CFG_CMD, Buffer.from([NFULNL_CFG_CMD_BIND])),
    encodeAttribute(NFULA_CFG_MODE, mode),
    encodeAttribute(NFULA_CFG_TIMEOUT, timeout),
  ]);
  return formatMessage({ type: NFULNL_MSG_CONFIG, flags: Flags.REQUEST | Flags.ACK, seq, port: 0, data });
}

/** What one datagram from the NFLOG socket holds. */
export interface NflogDatagram {
  packets: NflogPacket[];
  /** Answers to requests: errno 0 is an acknowledgement. */
  acks: { seq: number; errno: number }[];
}

export function parseDatagram(datagram: Buffer): NflogDatagram {
  const result: NflogDatagram = { packets: [], acks: [] };
  for (const message of parseMessages(datagram)) {
    if (message.type === MessageType.ERROR) {
      result.acks.push({ seq: message.seq, errno: message.data.length >= 4 ? -readS32(message.data, 0) || 0 : 0 }); // || 0: no -0
    } else if (message.type === NFULNL_MSG_PACKET) {
      const packet = parsePacketMessage(message.data);
      if (packet) result.packets.push(packet);
    }
    // NLMSG_DONE ends a batch of packets (NLM_F_MULTI); nothing to do.
  }
  return result;
}

/** nfgenmsg + attributes of one NFULNL_MSG_PACKET; undefined if too short to be one. */
export function parsePacketMessage(data: Buffer): NflogPacket | undefined {
  if (data.length < 4) return undefined;
  const family = data[0] === AF_INET ? 4 : data[0] === AF_INET6 ? 6 : undefined;
  const packet: NflogPacket = { family, group: data.readUInt16BE(2), prefix: '' };
  for (let at = 4; at + 4 <= data.length;) {
    const length = readU16(data, at);
    if (length < 4 || at + length > data.length) break;
    const type = readU16(data, at + 2) & NLA_TYPE_MASK;
    const value = data.subarray(at + 4, at + length);
    switch (type) {
      case NFULA_PACKET_HDR:
        if (value.length >= 3) packet.hook = value.readUInt8(2);
        break;
      case NFULA_TIMESTAMP:
        // struct nfulnl_msg_packet_timestamp: seconds and microseconds, 64-bit big-endian each.
        if (value.length >= 16) packet.timestamp = new Date(Number(value.readBigUInt64BE(0)) * 1000 + Math.floor(Number(value.readBigUInt64BE(8)) / 1000));
        break;
      case NFULA_IFINDEX_INDEV:
        if (value.length >= 4) packet.inIfindex = value.readUInt32BE(0);
        break;
      case NFULA_IFINDEX_OUTDEV:
        if (value.length >= 4) packet.outIfindex = value.readUInt32BE(0);
        break;
      case NFULA_PAYLOAD:
        packet.payload = Buffer.from(value); // a copy: the datagram is not kept alive
        break;
      case NFULA_PREFIX: {
        const end = value.indexOf(0);
        packet.prefix = value.subarray(0, end < 0 ? value.length : end).toString('utf8');
        break;
      }
    }
    at += (length + 3) & ~3;
  }
  return packet;
}
