// The helper's state and decisions: the policy in force, what the kernel holds, which profile
// each interface is in, which apps listen, which prompts are open, and a change waiting for
// confirmation. Every change to the kernel goes through one queue, so nothing interleaves.
//
// Policy changes: compile → `nft -c` → write the policy file (the commit point) → apply. A
// restart re-applies the file, so after any crash the kernel ends up equal to the file.
// Sockets and networks: only set and map elements change, never the rules.
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { Policy, ProfileName } from '../../shared/policy/schema';
import { PROFILE_NAMES } from '../../shared/policy/schema';
import { PolicyValidationError, parsePolicy } from '../../shared/policy/validate';
import { applyEdits, EditError, type PolicyEdit } from '../../shared/policy/edits';
import { appDisplayName, appKey, networkKey } from '../../shared/policy/identity';
import { isPortRuleActive } from '../../shared/policy/rules';
import { compileAppPortsUpdate, compileInterfaceUpdate, compilePortMapsUpdate, compileRuleset, portMapsOf, CompileError } from '../../shared/compiler/ruleset';
import type { PortMapContents } from '../../shared/compiler/port-maps';
import type { NftDocument } from '../../shared/nft/json';
import type { RuntimeState } from '../../shared/runtime/state';
import { appOpenings, isLoopbackOnly, isListeningEntry, type SocketEntry } from '../../shared/runtime/sockets';
import { assignProfiles, type ActiveNetwork } from '../../shared/runtime/networks';
import { predictExposure } from '../../shared/exposure/predict';
import { DBUS_ERRORS, type MethodResult, type ParsedArgs, type Prompt, type SignalName, type SignalPayload, type Status } from '../../shared/dbus/contract';
import { ServiceError, type Handlers } from './dbus/service';
import type { DropEntry } from '../../shared/runtime/droplog';
import { hitCountsFromListing, type TableListing } from '../../shared/runtime/hit-counts';
import { carriedState } from '../../shared/runtime/carry-over';
import { NftError } from './nft';

// ---- the ports the firewall is built on (implemented by nft.ts, policy-store.ts, sockets/, networks/) ----

export interface KernelPort {
  check(doc: NftDocument): Promise<void>;
  apply(doc: NftDocument): Promise<void>;
  /** Element changes only: one nft run, the transaction is its own check. */
  applyElements(doc: NftDocument): Promise<void>;
  readTable(): Promise<unknown>;
  readTableText(): Promise<string | null>;
}

export interface StorePort {
  load(): Promise<{ policy: Policy; source: 'file' | 'last-good' | 'default'; problem?: { file: string; reason: string } }>;
  save(policy: Policy): Promise<void>;
  /** Resolves once writes that follow a save (the last good copy) are done. */
  settled?(): Promise<void>;
}

export interface SocketPort extends EventEmitter {
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
  listening(): SocketEntry[];
  snapshot(): Promise<SocketEntry[]>;
}

export interface NetworkPort extends EventEmitter {
  readonly kind: 'networkmanager' | 'gateway';
  start(): Promise<void>;
  stop(): Promise<void>;
  current(): ActiveNetwork[];
}

export interface InterfaceInfo { name: string; addresses: string[] }

/** Blocked attempts from the kernel's NFLOG group (electron/helper/droplog/). */
export interface DropLogPort extends EventEmitter {
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
  /** The newest `limit` entries, oldest first. */
  recent(limit: number): DropEntry[];
}

export interface FirewallDeps {
  kernel: KernelPort;
  store: StorePort;
  policyPath: string;
  sockets?: SocketPort;
  networks?: NetworkPort;
  dropLog?: DropLogPort;
  /** DNS servers the system uses, for the outbound DNS essential (re-read at every change). */
  resolvers?: () => string[];
  interfaces: () => InterfaceInfo[];
  emit: <S extends SignalName>(signal: S, payload: SignalPayload<S>) => void;
  onRevision?: () => void;
  log: (message: string) => void;
  version: string;
  now?: () => Date;
}

interface PendingChange { id: string; previous: Policy; deadline: string; timer: NodeJS.Timeout }

const failed = (message: string) => new ServiceError(DBUS_ERRORS.failed, message);

/** The ruleset without set and map contents: equal shapes differ only in elements. */
/**
 * What a full replacement would change beyond set elements: two documents of the same shape
 * differ only in what syncElements rewrites (interface maps, app ports) or what is carried over
 * (remembered sources, counter values). Expiry sets hold their time as element timeouts, so the
 * expiry times themselves are part of the shape.
 */
function shapeOf(doc: NftDocument, policy: Policy): string {
  // Counter objects come and go with the plain allow rules in the port maps: elements, not shape.
  const withoutCounterObjects = { nftables: doc.nftables.filter((cmd) => !('add' in cmd && 'counter' in cmd.add)) };
  const rules = JSON.stringify(withoutCounterObjects, (key, value: unknown) => (key === 'elem' ? undefined : key === 'counter' ? null : value));
  // Expiry times live in the until_* sets' timeouts, which the shape above does not see.
  return `${rules}\n${JSON.stringify(policy.portRules.flatMap((r) => (r.expires ? [[r.id, r.expires]] : [])))}`;
}

/**
 * Everything the table's shape depends on except the plain allow rules in the listening maps,
 * whose adding and removing changes elements only: when it is unchanged a commit needs no
 * compile of the whole table to know it is elements only (at 1,000 rules that compile would be
 * most of a rule change). Always-open rules stay in it (the stealth chain lists their ports).
 * Undefined when expiring rules exist: their sets' timeouts move with the clock.
 */
function structureOf(policy: Policy, runtime: RuntimeState, portMaps: PortMapContents): string | undefined {
  if (policy.portRules.some((r) => r.expires)) return undefined;
  const mapped = new Map(PROFILE_NAMES.map((p) => [p, new Set(portMaps.maps.filter((m) => m.profile === p && m.kind === 'listening').flatMap((m) => m.ruleIds))]));
  const inForce = (p: ProfileName) => policy.profiles[p].enabled && !policy.profiles[p].shieldsUp;
  const mappedEverywhere = (r: Policy['portRules'][number]) => r.profiles.every((p) => !inForce(p) || mapped.get(p)?.has(r.id));
  return JSON.stringify([{ ...policy, portRules: policy.portRules.filter((r) => !mappedEverywhere(r)) }, runtime.resolvers ?? []]);
}

/** Compared by their element keys and counter names: cheap even with thousands of rules. */
function samePortMaps(a: PortMapContents, b: PortMapContents): boolean {
  const keys = (c: PortMapContents) => `${c.counters.join('\n')}\n${c.maps.map((m) => `${m.name}:${m.keys.join(',')}`).join('\n')}`;
  return keys(a) === keys(b);
}

export class Firewall {
  private policy!: Policy;
  private source: 'file' | 'last-good' | 'default' = 'default';
  private problem: { file: string; reason: string } | undefined;
  private revision = 0;
  private listening: SocketEntry[] = [];
  private active: ActiveNetwork[] = [];
  private applied: { shape: string; structure: string | undefined; runtime: RuntimeState; portMaps: PortMapContents } | undefined;
  private readonly prompts = new Map<string, Prompt>();
  private pending: PendingChange | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly deps: FirewallDeps) {}

  private now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }

  private newId(prefix: string): string {
    return `${prefix}-${randomBytes(4).toString('hex')}`;
  }

  /** Runs kernel- and policy-changing work one piece at a time. */
  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  // ---- start and stop --------------------------------------------------------------------

  async start(): Promise<void> {
    const loaded = await this.deps.store.load();
    this.policy = loaded.policy;
    this.source = loaded.source;
    this.problem = loaded.problem;
    if (this.problem) this.deps.log(`palisaded: ${this.problem.file}: ${this.problem.reason}; using the ${this.source === 'last-good' ? 'last good copy' : 'default policy'}`);

    if (this.deps.networks) {
      await this.deps.networks.start();
      this.active = this.deps.networks.current();
      this.deps.networks.on('change', (nets: ActiveNetwork[]) => { void this.serialize(() => this.onNetworks(nets)).catch((e: unknown) => this.report('network change', e)); });
    }
    if (this.deps.dropLog) {
      await this.deps.dropLog.start();
      this.deps.dropLog.on('entries', (entries: DropEntry[]) => this.deps.emit('DropsLogged', entries));
    }
    if (this.deps.sockets) {
      await this.deps.sockets.start();
      this.listening = this.deps.sockets.listening();
      this.deps.sockets.on('listening-changed', (change: { added: SocketEntry[]; removed: SocketEntry[]; current: SocketEntry[] }) => {
        void this.serialize(() => this.onListening(change)).catch((e: unknown) => this.report('socket change', e));
      });
    }

    await this.serialize(async () => {
      const kept = this.problem !== undefined && (await this.deps.kernel.readTable()) !== null;
      // A broken policy file never reaches the kernel: with a table in place it stays as it is.
      if (kept) {
        const runtime = this.runtime();
        this.recordApplied(compileRuleset(this.policy, runtime), this.policy, runtime);
      }
      else await this.applyFull(this.policy);
      await this.recordSeenNetworks([]);
      await this.dropExpiredRules();
      this.notePromptCandidates(this.listening, false);
      await this.syncElements();
    });
    this.revision = 1;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.expiryTimer);
    if (this.pending) clearTimeout(this.pending.timer);
    await this.deps.sockets?.stop();
    await this.deps.networks?.stop();
    await this.deps.dropLog?.stop();
    await this.queue;
    await this.deps.store.settled?.();
  }

  private report(what: string, err: unknown): void {
    this.deps.log(`palisaded: ${what} failed: ${(err as Error).message ?? String(err)}`);
  }

  // ---- runtime state ---------------------------------------------------------------------

  private interfaceNames(): string[] {
    return this.deps.interfaces().map((i) => i.name);
  }

  private runtime(policy: Policy = this.policy): RuntimeState {
    const assignment = assignProfiles(policy, this.active, this.interfaceNames());
    return { interfaces: assignment.interfaces, appPorts: appOpenings(policy, this.listening), now: this.now(), resolvers: this.deps.resolvers?.() ?? [] };
  }

  private profilesInForce(): ProfileName[] {
    const map = assignProfiles(this.policy, this.active, this.interfaceNames()).interfaces;
    const names = this.interfaceNames();
    const inForce = new Set(names.map((n) => map[n] ?? 'public'));
    return inForce.size ? PROFILE_NAMES.filter((p) => inForce.has(p)) : ['public'];
  }

  // ---- applying ----------------------------------------------------------------------------

  /** The whole table, replaced in one transaction, keeping what the kernel remembered and counted. */
  private async applyFull(policy: Policy): Promise<void> {
    const runtime = this.runtime(policy);
    const carried = carriedState((await this.deps.kernel.readTable()) as TableListing | null);
    const doc = compileRuleset(policy, { ...runtime, ...carried });
    await this.deps.kernel.apply(doc);
    this.recordApplied(doc, policy, runtime);
  }

  /** What the kernel now holds, as later commits compare against it. */
  private recordApplied(doc: NftDocument, policy: Policy, runtime: RuntimeState): void {
    const portMaps = portMapsOf(policy, runtime.now);
    this.applied = { shape: shapeOf(doc, policy), structure: structureOf(policy, runtime, portMaps), runtime, portMaps };
  }

  /** Brings interface maps and app sets in line with the current state; elements only. */
  private async syncElements(portMapsNow?: PortMapContents): Promise<void> {
    if (!this.applied) return;
    const runtime = this.runtime();
    const before = this.applied.runtime;
    if (JSON.stringify(runtime.interfaces) !== JSON.stringify(before.interfaces)) {
      await this.deps.kernel.applyElements(compileInterfaceUpdate(runtime));
      this.applied.runtime = { ...this.applied.runtime, interfaces: runtime.interfaces };
      this.emitStatus();
    }
    if (JSON.stringify(runtime.appPorts) !== JSON.stringify(before.appPorts)) {
      await this.deps.kernel.applyElements(compileAppPortsUpdate(runtime.appPorts, this.policy));
      this.applied.runtime = { ...this.applied.runtime, appPorts: runtime.appPorts };
    }
    const portMaps = portMapsNow ?? portMapsOf(this.policy, runtime.now);
    if (!samePortMaps(portMaps, this.applied.portMaps)) {
      try {
        await this.deps.kernel.applyElements(compilePortMapsUpdate(this.applied.portMaps, portMaps));
        this.applied.portMaps = portMaps;
      } catch (err) {
        // The maps in the kernel were not what the helper thought (a table kept from before a
        // start with a broken policy file, say): replace the whole table instead.
        this.report('port map update', err);
        await this.applyFull(this.policy);
      }
    }
  }

  /**
   * Makes `next` the policy in force: checked by the kernel first, then written to the file
   * (unless it waits for confirmation), then applied — as elements only when no rule changed.
   */
  private async commit(next: Policy, opts: { persist: boolean }): Promise<void> {
    const runtime = this.runtime(next);
    const portMaps = portMapsOf(next, runtime.now);
    const structure = structureOf(next, runtime, portMaps);
    let elementsOnly = this.applied !== undefined && structure !== undefined && structure === this.applied.structure;
    if (!elementsOnly) {
      const doc = compileRuleset(next, runtime);
      elementsOnly = this.applied !== undefined && shapeOf(doc, next) === this.applied.shape;
      if (!elementsOnly) await this.deps.kernel.check(doc);
    }
    // The file is the commit point: written before the kernel changes, so that a helper killed
    // at any moment leaves the kernel at the file's policy or one change behind it, never ahead.
    if (opts.persist) await this.save(this.pending ? this.pending.previous : next);
    this.policy = next;
    this.source = 'file';
    this.problem = undefined;
    if (elementsOnly) {
      await this.syncElements(portMaps);
      if (this.applied) this.applied.structure = structure;
    } else await this.applyFull(next);
    this.revision++;
    this.closeAnsweredPrompts();
    this.scheduleExpiry();
    this.deps.onRevision?.();
    this.emitStatus();
  }

  /** Writes the policy file; a failure is the caller's to hear about, and changes nothing. */
  private async save(policy: Policy): Promise<void> {
    try {
      await this.deps.store.save(policy);
    } catch (err) {
      throw failed(`the policy file ${this.deps.policyPath} could not be written, nothing was changed: ${(err as Error).message}`);
    }
  }

  private emitStatus(): void {
    if (this.policy) this.deps.emit('StatusChanged', this.status());
  }

  // ---- events ------------------------------------------------------------------------------

  private async onNetworks(nets: ActiveNetwork[]): Promise<void> {
    const before = this.active;
    this.active = nets;
    await this.recordSeenNetworks(before);
    await this.syncElements();
    this.emitStatus();
  }

  /**
   * A network seen for the first time is remembered as Public, marked undecided, and announced:
   * the user is asked once (a client that connects later asks about undecided networks). A known
   * network that comes back gets its lastSeen updated.
   */
  private async recordSeenNetworks(previouslyActive: readonly ActiveNetwork[]): Promise<void> {
    const { unknown } = assignProfiles(this.policy, this.active);
    const wasActive = new Set(previouslyActive.map((n) => networkKey(n.identity)));
    const returning = new Set(this.active.map((n) => networkKey(n.identity)).filter((k) => !wasActive.has(k)));
    const now = this.now();
    const update = (p: Policy): Policy => parsePolicy({
      ...p,
      networks: [
        ...p.networks.map((n) => (returning.has(networkKey(n.identity)) ? { ...n, lastSeen: now } : n)),
        ...unknown.map((n) => ({ name: n.name, identity: n.identity, profile: 'public' as const, undecided: true, firstSeen: now, lastSeen: now })),
      ],
    });
    if (!unknown.length && !this.policy.networks.some((n) => returning.has(networkKey(n.identity)))) return;
    if (this.pending) this.pending = { ...this.pending, previous: update(this.pending.previous) };
    await this.commit(update(this.policy), { persist: true });
    for (const n of unknown) this.deps.emit('NewNetwork', { ...n, key: networkKey(n.identity) });
  }

  private async onListening(change: { added: SocketEntry[]; removed: SocketEntry[]; current: SocketEntry[] }): Promise<void> {
    this.listening = change.current;
    await this.syncElements();
    this.notePromptCandidates(change.added, true);
    this.deps.emit('ListeningChanged', { added: change.added, removed: change.removed });
  }

  // ---- the new-app prompt ------------------------------------------------------------------

  /** Apps with no rule listening where others can reach them: ask, if a profile in force wants asking. */
  private notePromptCandidates(entries: readonly SocketEntry[], announce: boolean): void {
    if (!entries.length) return;
    const profiles = this.profilesInForce();
    if (!profiles.some((p) => this.policy.profiles[p].notify)) return;
    const ruled = new Set(this.policy.apps.map((a) => appKey(a.identity)));
    for (const entry of entries) this.notePromptCandidate(entry, profiles, ruled, announce);
  }

  private notePromptCandidate(entry: SocketEntry, profiles: ProfileName[], ruled: ReadonlySet<string>, announce: boolean): void {
    if (!entry.app || !isListeningEntry(entry) || isLoopbackOnly(entry)) return;
    const key = appKey(entry.app);
    if (ruled.has(key)) return;
    const port = { protocol: entry.protocol, port: entry.port, address: entry.address };
    const existing = this.prompts.get(key);
    if (existing) {
      if (!existing.ports.some((p) => p.protocol === port.protocol && p.port === port.port && p.address === port.address)) existing.ports.push(port);
      return;
    }
    const prompt: Prompt = {
      id: this.newId('prompt'), app: entry.app, name: appDisplayName(entry.app),
      ...(entry.process ? { process: entry.process } : {}), ports: [port], profiles, since: this.now(),
    };
    this.prompts.set(key, prompt);
    if (announce) this.deps.emit('NewAppPrompt', prompt);
  }

  private closeAnsweredPrompts(): void {
    for (const [key, prompt] of this.prompts) {
      if (this.policy.apps.some((a) => appKey(a.identity) === key)) {
        this.prompts.delete(key);
        this.deps.emit('PromptClosed', { id: prompt.id });
      }
    }
  }

  // ---- expiry ------------------------------------------------------------------------------

  private async dropExpiredRules(): Promise<void> {
    const now = this.now();
    const live = this.policy.portRules.filter((r) => r.expires === undefined || isPortRuleActive({ ...r, enabled: true }, now));
    if (live.length !== this.policy.portRules.length) await this.commit({ ...this.policy, portRules: live }, { persist: true });
  }

  /** Rules "for an hour" leave the policy when their hour is up. */
  private scheduleExpiry(): void {
    clearTimeout(this.expiryTimer);
    if (this.stopped) return;
    const nowMs = Date.parse(this.now());
    const next = Math.min(...this.policy.portRules.filter((r) => r.expires !== undefined).map((r) => Date.parse(r.expires as string)).filter((t) => t > nowMs));
    if (!Number.isFinite(next)) return;
    // setTimeout holds at most ~24.8 days; a later expiry is simply rescheduled then.
    this.expiryTimer = setTimeout(() => { void this.serialize(() => this.dropExpiredRules()).catch((e: unknown) => this.report('rule expiry', e)); }, Math.min(next - nowMs + 50, 2 ** 31 - 1));
    this.expiryTimer.unref();
  }

  // ---- changes from clients ----------------------------------------------------------------

  private async change(next: () => Policy, confirmWithin: number | undefined): Promise<MethodResult<'ChangePolicy'>> {
    return this.serialize(async () => {
      if (this.pending) throw new ServiceError(DBUS_ERRORS.busy, `a change is waiting for confirmation until ${this.pending.deadline}; confirm it (palisade confirm ${this.pending.id}) or let it roll back first`);
      let policy: Policy;
      try {
        policy = next();
      } catch (err) {
        if (err instanceof EditError || err instanceof PolicyValidationError) throw failed(err.message);
        throw err;
      }
      const previous = this.policy;
      try {
        if (confirmWithin === undefined) {
          await this.commit(policy, { persist: true });
          return { revision: this.revision };
        }
        const id = this.newId('change');
        const deadline = new Date(Date.parse(this.now()) + confirmWithin * 1000).toISOString();
        const timer = setTimeout(() => { void this.rollBack(id); }, confirmWithin * 1000);
        timer.unref();
        this.pending = { id, previous, deadline, timer };
        try {
          await this.commit(policy, { persist: false });
        } catch (err) {
          clearTimeout(timer);
          this.pending = undefined;
          throw err;
        }
        return { revision: this.revision, pending: { id, deadline } };
      } catch (err) {
        if (err instanceof NftError || err instanceof CompileError) throw failed(`the kernel refused the new ruleset, nothing was changed: ${err.message}`);
        throw err;
      }
    });
  }

  private async rollBack(id: string): Promise<void> {
    await this.serialize(async () => {
      if (this.pending?.id !== id) return;
      const { previous } = this.pending;
      this.pending = undefined;
      await this.commit(previous, { persist: false });
      this.deps.log(`palisaded: change ${id} was not confirmed in time and was rolled back`);
      this.deps.emit('ChangeRolledBack', { id, revision: this.revision });
    }).catch((e: unknown) => this.report('rollback', e));
  }

  private editContext() {
    return { activeNetworks: this.active, newId: (p: string) => this.newId(p), now: this.now() };
  }

  // ---- reads -------------------------------------------------------------------------------

  status(): Status {
    const runtime = this.runtime();
    const byInterface = new Map(this.active.map((n) => [n.interface, n]));
    const known = new Set(this.policy.networks.map((n) => networkKey(n.identity)));
    return {
      version: this.deps.version,
      revision: this.revision,
      policy: { path: this.deps.policyPath, source: this.source, ...(this.problem ? { problem: this.problem } : {}) },
      profiles: this.policy.profiles,
      interfaces: this.deps.interfaces().map((i) => {
        const net = byInterface.get(i.name);
        return {
          name: i.name,
          profile: runtime.interfaces[i.name] ?? 'public',
          pinned: Object.hasOwn(this.policy.interfaces, i.name),
          ...(net ? { network: { key: networkKey(net.identity), name: net.name, known: known.has(networkKey(net.identity)) } } : {}),
          addresses: i.addresses,
        };
      }),
      networkSource: this.deps.networks?.kind ?? 'none',
      resolvers: runtime.resolvers ?? [],
      ...(this.pending ? { pendingChange: { id: this.pending.id, deadline: this.pending.deadline } } : {}),
      counts: { apps: this.policy.apps.length, portRules: this.policy.portRules.length, listening: this.listening.length, prompts: this.prompts.size },
    };
  }

  currentRevision(): number {
    return this.revision;
  }

  // ---- the D-Bus methods ---------------------------------------------------------------------

  readonly handlers: Handlers = {
    GetStatus: async () => this.status(),
    GetPolicy: async () => this.policy,
    ListSockets: async (args: ParsedArgs<'ListSockets'>) => (args.listening ? this.listening : ((await this.deps.sockets?.snapshot()) ?? [])),
    GetExposure: async (args: ParsedArgs<'GetExposure'>) => {
      const ctx = { policy: this.policy, runtime: this.runtime(), sockets: this.listening };
      return this.deps.interfaces()
        .filter((i) => args.interface === undefined || i.name === args.interface)
        .map((i) => predictExposure(ctx, { name: i.name, addresses: i.addresses }));
    },
    GetRuleset: async () => ({ text: (await this.deps.kernel.readTableText()) ?? '' }),
    ListNetworks: async () => {
      const activeKeys = new Set(this.active.map((n) => networkKey(n.identity)));
      const knownKeys = new Map(this.policy.networks.map((n) => [networkKey(n.identity), n.profile]));
      const runtime = this.runtime();
      return {
        known: this.policy.networks.map((n) => ({ ...n, key: networkKey(n.identity), active: activeKeys.has(networkKey(n.identity)) })),
        active: this.active.map((n) => ({ ...n, key: networkKey(n.identity), known: knownKeys.has(networkKey(n.identity)), profile: runtime.interfaces[n.interface] ?? 'public' })),
      };
    },
    ListPrompts: async () => [...this.prompts.values()],
    ChangePolicy: async (args: ParsedArgs<'ChangePolicy'>) =>
      this.change(() => applyEdits(this.policy, args.edits as PolicyEdit[], this.editContext()), args.confirmWithin),
    ReplacePolicy: async (args: ParsedArgs<'ReplacePolicy'>) => this.change(() => args.policy, args.confirmWithin),
    ConfirmChange: async (args: ParsedArgs<'ConfirmChange'>) => this.serialize(async () => {
      if (this.pending?.id !== args.id) throw failed(`no change ${args.id} is waiting for confirmation (it may have rolled back already)`);
      // Written first: if the file cannot be, the change stays pending and rolls back on time.
      await this.save(this.policy);
      clearTimeout(this.pending.timer);
      this.pending = undefined;
      this.emitStatus();
      return { revision: this.revision };
    }),
    GetDropLog: async (args: ParsedArgs<'GetDropLog'>) => this.deps.dropLog?.recent(args.limit) ?? [],
    GetHitCounts: async () => hitCountsFromListing((await this.deps.kernel.readTable()) as TableListing | null),
    AnswerPrompt: async (args: ParsedArgs<'AnswerPrompt'>) => {
      const prompt = [...this.prompts.values()].find((p) => p.id === args.id);
      if (!prompt) throw failed(`no open prompt ${args.id}`);
      const profiles = args.decision.action === 'allow' ? args.decision.profiles : [...PROFILE_NAMES];
      const edit: PolicyEdit = { op: 'setApp', identity: prompt.app, name: prompt.name, action: args.decision.action, profiles };
      return this.change(() => applyEdits(this.policy, [edit], this.editContext()), undefined);
    },
  };
}
