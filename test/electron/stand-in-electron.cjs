// A stand-in for the electron module, for running the BUILT main process (dist/electron/main.cjs)
// in plain Node: `node -r test/electron/stand-in-electron.cjs dist/electron/main.cjs`. It answers
// every load of the electron module with recording fakes, waits for the shell to be up (PALISADE_TEST_HOOKS=1),
// asks it a few things the way Electron would, prints one JSON report line and quits the app.
// With STAND_IN_MODE=preload it runs the built preload instead and reports what it exposed.
// Used by test/unit/shell-wiring.test.ts: it proves the bundles load, main.ts and preload.ts wire
// the shell, and the externals resolve, where no Electron binary exists.
const Module = require('node:module');
const { EventEmitter } = require('node:events');

const record = { exposed: [], ipcRendererCalls: [], schemes: null, protocols: [], ipc: [], windows: [], trays: 0, sessionHandlers: [], quit: 0, exitCode: null, errors: [] };

class WebContents extends EventEmitter {
  constructor() { super(); this.id = 1; this.url = ''; this.sent = []; this.mainFrame = { url: '', parent: null, processId: 1, routingId: 1 }; }
  getURL() { return this.url; }
  isLoading() { return false; }
  send(...args) { this.sent.push(args); }
  setWindowOpenHandler() {}
}
class BrowserWindow extends EventEmitter {
  constructor(options) { super(); this.options = options; this.webContents = new WebContents(); this.visible = false; record.windows.push(this); }
  loadURL(url) { this.webContents.url = url; this.webContents.mainFrame = { ...this.webContents.mainFrame, url }; setImmediate(() => this.emit('ready-to-show')); return Promise.resolve(); }
  show() { this.visible = true; }
  hide() { this.visible = false; }
  focus() {}
  isVisible() { return this.visible; }
  isMinimized() { return false; }
  restore() {}
  isDestroyed() { return false; }
}
class Tray extends EventEmitter {
  constructor() { super(); record.trays += 1; }
  setImage() {}
  setToolTip() {}
  setContextMenu() {}
  isDestroyed() { return false; }
  destroy() {}
}
const app = Object.assign(new EventEmitter(), {
  isPackaged: false,
  paths: { appData: process.env.STAND_IN_APPDATA },
  setPath(name, value) { this.paths[name] = value; },
  getPath(name) { return this.paths[name]; },
  getAppPath: () => process.env.STAND_IN_APP_PATH,
  getVersion: () => '0.0.0-stand-in',
  getPreferredSystemLanguages: () => ['en-US'],
  requestSingleInstanceLock: () => true,
  whenReady: () => Promise.resolve(),
  quit() {
    record.quit += 1;
    let stopped = false;
    this.emit('before-quit');
    this.emit('will-quit', { preventDefault: () => { stopped = true; } });
    if (!stopped) process.exit(0);
  },
  exit(code) { record.exitCode = code; },
});
const electron = {
  contextBridge: { exposeInMainWorld: (name, api) => record.exposed.push({ name, api }) },
  ipcRenderer: {
    invoke: async (...args) => { record.ipcRendererCalls.push(args); return { ok: true, value: 'from main' }; },
    on: (channel) => record.ipcRendererCalls.push(['on', channel]),
    removeListener: (channel) => record.ipcRendererCalls.push(['removeListener', channel]),
  },
  app,
  BrowserWindow,
  Tray,
  dialog: { showErrorBox: (title, text) => record.errors.push(`${title}: ${text}`) },
  ipcMain: { handle: (channel, handler) => record.ipc.push({ channel, handler }), removeHandler() {} },
  Menu: { buildFromTemplate: (template) => ({ template }), setApplicationMenu() {} },
  nativeImage: { createFromPath: (path) => ({ path }) },
  protocol: {
    registerSchemesAsPrivileged: (schemes) => { record.schemes = schemes; },
    handle: (scheme, handler) => record.protocols.push({ scheme, handler }),
  },
  session: {
    defaultSession: {
      setPermissionRequestHandler: () => record.sessionHandlers.push('request'),
      setPermissionCheckHandler: () => record.sessionHandlers.push('check'),
      setDevicePermissionHandler: () => record.sessionHandlers.push('device'),
      webRequest: { onBeforeRequest: () => record.sessionHandlers.push('beforeRequest') },
      on: (event) => record.sessionHandlers.push(event),
    },
  },
};

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'electron' ? 'stand-in:electron' : resolve.call(this, request, ...rest);
};
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === 'electron' ? electron : load.call(this, request, ...rest);
};

async function reportPreload() {
  const exposed = record.exposed.map(({ name, api }) => ({ name, keys: Object.keys(api).sort() }));
  const api = record.exposed[0] && record.exposed[0].api;
  const report = {
    exposed,
    invoke: api && await api.invoke('app:info', {}),
    refused: api && await api.invoke('shell:openExternal', {}),
    calls: record.ipcRendererCalls,
  };
  console.log(`STAND-IN-REPORT ${JSON.stringify(report)}`);
  process.exit(0);
}

setImmediate(async () => {
  if (process.env.STAND_IN_MODE === 'preload') return reportPreload();
  const shell = globalThis.palisadeShell;
  if (!shell) {
    console.log(JSON.stringify({ error: 'no palisadeShell: PALISADE_TEST_HOOKS=1 not honoured' }));
    process.exit(1);
  }
  await shell.ready;
  const window = record.windows[0];
  const invoke = record.ipc.find((h) => h.channel === 'palisade:invoke');
  const trusted = { sender: { id: 1 }, senderFrame: window && window.webContents.mainFrame };
  const page = record.protocols[0] && await record.protocols[0].handler(new Request('app://palisade/'));
  const report = {
    schemes: record.schemes,
    protocols: record.protocols.map((p) => p.scheme),
    ipc: record.ipc.map((h) => h.channel),
    sessionHandlers: record.sessionHandlers,
    windows: record.windows.map((w) => ({ url: w.webContents.url, webPreferences: w.options.webPreferences, visible: w.visible })),
    trays: record.trays,
    appInfo: invoke && await invoke.handler(trusted, 'app:info', {}),
    forbidden: invoke && await invoke.handler({ ...trusted, senderFrame: { url: 'https://example.com/', parent: null, processId: 1, routingId: 1 } }, 'app:info', {}),
    page: page && { status: page.status, csp: page.headers.get('content-security-policy'), body: (await page.text()).slice(0, 200) },
    errors: record.errors,
  };
  console.log(`STAND-IN-REPORT ${JSON.stringify(report)}`);
  app.quit();
});
