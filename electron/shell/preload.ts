// The preload of the app window (sandboxed, context-isolated): exposes window.palisade and
// nothing else. Bundled by scripts/build.mjs into one CommonJS file, as sandboxed preloads must be.
import { contextBridge, ipcRenderer } from 'electron';
import { API_NAME, createPreloadApi } from './preload-api';

contextBridge.exposeInMainWorld(API_NAME, createPreloadApi(ipcRenderer));
