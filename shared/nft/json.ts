// The subset of libnftables-json (man libnftables-json) Palisade generates, with small
// builders. Written by hand: no npm library models nftables JSON. Rulesets are only ever
// produced as these objects and fed to `nft -j -f -`, so no user string is pasted into rule text.

export type NftFamily = 'inet' | 'ip' | 'ip6';

export type NftExpression =
  | string
  | number
  | boolean
  | NftExpression[]
  | { [key: string]: unknown };

export type NftStatement = Record<string, unknown>;

export interface NftTable { family: NftFamily; name: string; handle?: number; flags?: string[] }
export interface NftChain {
  family: NftFamily;
  table: string;
  name: string;
  type?: 'filter';
  hook?: 'input' | 'output' | 'postrouting' | 'prerouting' | 'forward';
  prio?: number;
  policy?: 'accept' | 'drop';
  handle?: number;
}
export interface NftRule { family: NftFamily; table: string; chain: string; expr: NftStatement[]; comment?: string; handle?: number }
export interface NftSet {
  family: NftFamily;
  table: string;
  name: string;
  type: string | string[];
  flags?: string[];
  elem?: NftExpression[];
  timeout?: number;
}
export interface NftMap extends NftSet { map: string }
export interface NftElement { family: NftFamily; table: string; name: string; elem: NftExpression[] }
/** A named counter object: a map can pick one per packet (`counter name … map @m`). */
export interface NftCounter { family: NftFamily; table: string; name: string; packets?: number; bytes?: number }

export type NftObject =
  | { table: NftTable }
  | { chain: NftChain }
  | { rule: NftRule }
  | { set: NftSet }
  | { map: NftMap }
  | { element: NftElement }
  | { counter: NftCounter };

export type NftCommand =
  | { metainfo: { json_schema_version: number } }
  | { add: NftObject }
  | { delete: NftObject }
  | { flush: NftObject };

/** One document is one `nft -j -f` run: one netlink batch, one atomic transaction. */
export interface NftDocument { nftables: NftCommand[] }

export function nftDocument(commands: NftCommand[]): NftDocument {
  return { nftables: [{ metainfo: { json_schema_version: 1 } }, ...commands] };
}

// ---- expressions -------------------------------------------------------------------------

export const meta = (key: string) => ({ meta: { key } });
export const ct = (key: string) => ({ ct: { key } });
export const payload = (protocol: string, field: string) => ({ payload: { protocol, field } });
/** Raw payload bits relative to the transport header (`@th,OFFSET,LEN`). */
export const rawTransportPayload = (offset: number, len: number) => ({ payload: { base: 'th', offset, len } });
export const concat = (...parts: NftExpression[]) => ({ concat: parts });
export const anonymousSet = (items: NftExpression[]) => ({ set: items });
export const range = (from: number, to: number) => ({ range: [from, to] });
export const prefix = (addr: string, len: number) => ({ prefix: { addr, len } });
export const bitAnd = (left: NftExpression, right: NftExpression) => ({ '&': [left, right] });
export const setRef = (name: string) => `@${name}`;
export const socket = (key: 'transparent' | 'mark' | 'wildcard') => ({ socket: { key } });

// ---- statements --------------------------------------------------------------------------

export const match = (left: NftExpression, right: NftExpression, op: '==' | '!=' | 'in' = '=='): NftStatement =>
  ({ match: { op, left, right } });
export const accept = (): NftStatement => ({ accept: null });
export const drop = (): NftStatement => ({ drop: null });
export const counter = (): NftStatement => ({ counter: null });
export const goTo = (target: string): NftStatement => ({ goto: { target } });
/** `jump`: unlike goto, the calling chain carries on when the target chain ends or returns. */
export const jump = (target: string): NftStatement => ({ jump: { target } });
export const returnVerdict = (): NftStatement => ({ return: null });
export const verdictMap = (key: NftExpression, mapName: string): NftStatement => ({ vmap: { key, data: setRef(mapName) } });
export const rejectWith = (type: 'tcp reset' | 'icmpx' | 'icmp' | 'icmpv6', code?: string): NftStatement =>
  ({ reject: code === undefined ? { type } : { type, expr: code } });
