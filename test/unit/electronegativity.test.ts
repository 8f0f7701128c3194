// Electronegativity (Doyensec's scanner for Electron misconfigurations) on what ships: the
// Electron main process, the preload and the renderer as scripts/build.mjs builds them. The build
// goes to a fresh temporary directory every run, so the scan always sees the current sources and
// never races anything else using dist/.
//
// The tool exits 0 whatever it finds, and its SARIF has no severity (only "note" for review
// items, "warning" otherwise), so it is run through its programmatic API in a child process:
// that gives each finding's severity and confidence, and the files it could not parse (which
// the CLI drops silently when writing a report). The SARIF it writes in the same run is parsed
// and must list the same findings; the assertion is on severity, the failure message lists every
// finding with severity, confidence and SARIF level.
//
// A canary app with the classic mistakes is scanned too: it proves the scanner works here and
// recognises what it is meant to, so an empty report means something.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNNER = join(ROOT, 'node_modules/@doyensec/electronegativity/dist/runner.js');

/**
 * Checks left out, each because it cannot apply here:
 * - AvailableSecurityFixesGlobalCheck fetches Electron's release list from GitHub (no network on
 *   CI) and writes it into the working directory; the Electron version itself is still checked
 *   by ELECTRON_VERSION_JSON_CHECK from package.json.
 */
/*
 * - PreloadJSCheck is a review reminder, not a test: it fires for every `preload` key, whatever
 *   the preload does (a sandboxed app with contextIsolation needs one to reach main at all). The
 *   review it asks for is automated instead: test/unit/shell-wiring.test.ts checks that the one
 *   preload (electron/shell/preload.ts) exposes only PalisadeApi — invoke/on over two fixed IPC
 *   channels with the contract's channel allow-lists, never ipcRenderer or an IpcRendererEvent.
 */
const EXCLUDED = ['AvailableSecurityFixesGlobalCheck', 'PreloadJSCheck'];

interface Finding {
  id: string;
  severity: 'HIGH' | 'MEDIUM' | 'LOW' | 'INFORMATIONAL';
  confidence: string;
  manualReview: boolean;
  file: string;
  line: number;
  sample: string;
  description: string;
  level?: string | undefined;
}

interface ScanResult {
  errors: { file: string; message: string; tolerable: boolean }[];
  issues: Finding[];
  checks: number;
}

interface Sarif {
  runs: { results: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[];
}

/** Runs electronegativity on `input` in a child process; writes SARIF to `sarif`. */
async function scan(input: string, sarif: string): Promise<ScanResult> {
  const resultFile = `${sarif}.result.json`;
  const script = `
    const run = require(${JSON.stringify(RUNNER)});
    const { writeFileSync } = require('node:fs');
    run({
      input: ${JSON.stringify(input)}, output: ${JSON.stringify(sarif)}, isSarif: true, isRelative: true,
      customScan: [], excludeFromScan: ${JSON.stringify(EXCLUDED.map((c) => c.toLowerCase()))},
    }, false).then((r) => {
      const issues = r.issues.map((i) => ({
        id: i.id, severity: i.severity.name, confidence: i.confidence.name, manualReview: Boolean(i.manualReview),
        file: i.file, line: i.location ? i.location.line : 0, sample: String(i.sample ?? '').slice(0, 160), description: String(i.description),
      }));
      writeFileSync(${JSON.stringify(resultFile)}, JSON.stringify({ errors: r.errors, issues, checks: r.globalChecks + r.atomicChecks }));
    }, (err) => { console.error(err); process.exit(1); });`;
  await run(process.execPath, ['-e', script], { cwd: join(input, '..'), env: { ...process.env, LANG: 'en-US' }, maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(await readFile(resultFile, 'utf8')) as ScanResult;
}

function describeFindings(findings: Finding[]): string {
  if (findings.length === 0) return '(none)';
  return findings.map((f) => `  ${f.id} ${f.severity} (confidence ${f.confidence}, SARIF level ${f.level ?? '?'}${f.manualReview ? ', review' : ''}) `
    + `${f.file}:${f.line} ${f.sample.split('\n')[0] ?? ''}\n    ${f.description}`).join('\n');
}

const serious = (f: Finding) => f.severity === 'HIGH' || f.severity === 'MEDIUM';

let work: string;
let app: ScanResult;
let canary: ScanResult;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'palisade-electronegativity-'));
  const built = join(work, 'build');
  await run(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--out', built, 'renderer', 'electron'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });

  // What is scanned: the bundles under .js names (the scanner reads .js/.ts/.html only, not
  // .cjs), the renderer as built, and package.json (the Electron version, npm scripts).
  const target = join(work, 'app');
  await mkdir(join(target, 'electron'), { recursive: true });
  await copyFile(join(built, 'electron/main.cjs'), join(target, 'electron/main.js'));
  await copyFile(join(built, 'electron/preload.cjs'), join(target, 'electron/preload.js'));
  await cp(join(built, 'renderer'), join(target, 'renderer'), { recursive: true });
  await copyFile(join(ROOT, 'package.json'), join(target, 'package.json'));

  const bad = join(work, 'canary');
  await mkdir(bad);
  await writeFile(join(bad, 'main.js'), [
    // (The module name is pasted in, so this file does not itself look like it loads Electron.)
    `const { app, BrowserWindow } = require(${JSON.stringify(['elec', 'tron'].join(''))});`,
    "app.whenReady().then(() => {",
    "  const win = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false, sandbox: false, webSecurity: false } });",
    "  win.loadURL('http://example.com/');",
    "});",
  ].join('\n'));
  await writeFile(join(bad, 'package.json'), JSON.stringify({ name: 'canary', devDependencies: { electron: '45.4.1' } }));

  [app, canary] = await Promise.all([scan(target, join(work, 'app.sarif')), scan(bad, join(work, 'canary.sarif'))]);

  // Join each finding with its SARIF result (same order: the tool writes the list it returns).
  const sarif = JSON.parse(await readFile(join(work, 'app.sarif'), 'utf8')) as Sarif;
  const results = sarif.runs[0]?.results ?? [];
  expect(results.map((r) => r.ruleId), 'the SARIF lists the same findings').toEqual(app.issues.map((i) => i.id));
  app.issues.forEach((issue, n) => { issue.level = results[n]?.level; });
  console.log(`electronegativity: ${app.checks} checks, ${app.issues.length} findings on the built app:\n${describeFindings(app.issues)}`);
}, 180_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('electronegativity on the built Electron app', () => {
  it('parses every file it scans (a file it cannot parse would be silently unchecked)', () => {
    expect(app.errors.filter((e) => !e.tolerable)).toEqual([]);
  });

  it('recognises the mistakes it exists for (canary app)', () => {
    const found = new Set(canary.issues.filter(serious).map((i) => i.id));
    // The per-window checks, and the global ones the app passes (navigation, permissions, CSP).
    for (const id of ['CONTEXT_ISOLATION_JS_CHECK', 'SANDBOX_JS_CHECK', 'WEB_SECURITY_JS_CHECK', 'AUXCLICK_JS_CHECK', 'LIMIT_NAVIGATION_GLOBAL_CHECK', 'PERMISSION_REQUEST_HANDLER_GLOBAL_CHECK', 'CSP_GLOBAL_CHECK']) {
      expect(found, `canary findings:\n${describeFindings(canary.issues)}`).toContain(id);
    }
  });

  it('finds no misconfiguration of high or medium severity', () => {
    const unexpected = app.issues.filter(serious);
    expect(unexpected, `findings of high or medium severity:\n${describeFindings(unexpected)}\n\nall findings:\n${describeFindings(app.issues)}`).toEqual([]);
  });

  it('sees the app window and its hardening (the checks above had something to look at)', async () => {
    const main = await readFile(join(work, 'app/electron/main.js'), 'utf8');
    // The checks match `new BrowserWindow(` by name; a renamed constructor would pass unexamined.
    expect(main).toMatch(/new BrowserWindow\(\{/);
    expect(main).toContain('"will-navigate"');
    expect(main).toContain('setWindowOpenHandler');
    expect(main).toContain('setPermissionRequestHandler');
    const html = await readFile(join(work, 'app/renderer/index.html'), 'utf8');
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy"/);
  });
});
