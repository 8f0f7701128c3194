// App identities as people type them on a command line:
//   /usr/bin/firefox                         an executable (exe:PATH when the path has spaces)
//   "python3 /opt/tool/server.py"            an interpreter and its script: the first word is the
//                                            interpreter, the rest the script (also script:INTERPRETER:SCRIPT)
//   flatpak:org.mozilla.firefox  snap:spotify  appimage:Obsidian
import { AppIdentitySchema, type AppIdentity } from './schema';
import { formatPath } from './validate';

export class IdentityTextError extends Error {
  override name = 'IdentityTextError';
}

function candidate(text: string): unknown {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  const prefix = colon > 0 ? trimmed.slice(0, colon) : '';
  const rest = trimmed.slice(colon + 1);
  switch (prefix) {
    case 'flatpak': return { kind: 'flatpak', appId: rest };
    case 'snap': return { kind: 'snap', name: rest };
    case 'appimage': return { kind: 'appimage', name: rest };
    case 'exe': return { kind: 'executable', path: rest };
    case 'script': {
      const split = rest.indexOf(':');
      // Without a second colon there is no script: let the schema say so.
      if (split < 0) return { kind: 'script', interpreter: rest, script: '' };
      return { kind: 'script', interpreter: rest.slice(0, split), script: rest.slice(split + 1) };
    }
    default: {
      const space = trimmed.search(/\s/);
      if (space < 0) return { kind: 'executable', path: trimmed };
      // `python3 /opt/x.py`: a bare interpreter name means the one in /usr/bin.
      const interpreter = trimmed.slice(0, space);
      return { kind: 'script', interpreter: interpreter.startsWith('/') ? interpreter : `/usr/bin/${interpreter}`, script: trimmed.slice(space).trim() };
    }
  }
}

export function parseAppIdentity(text: string): AppIdentity {
  const parsed = AppIdentitySchema.safeParse(candidate(text));
  if (parsed.success) return parsed.data;
  const why = parsed.error.issues.map((i) => `${formatPath(i.path)} ${i.message}`.trim()).join('; ');
  throw new IdentityTextError(`"${text}" is not an app: ${why}. Use an absolute path, "INTERPRETER SCRIPT", flatpak:ID, snap:NAME or appimage:NAME`);
}

/** The text form, written so that parseAppIdentity reads it back as the same identity. */
export function formatAppIdentity(identity: AppIdentity): string {
  switch (identity.kind) {
    case 'executable': return /\s/.test(identity.path) ? `exe:${identity.path}` : identity.path;
    case 'script': return /\s/.test(identity.interpreter) || identity.script.trim() !== identity.script
      ? `script:${identity.interpreter}:${identity.script}`
      : `${identity.interpreter} ${identity.script}`;
    case 'flatpak': return `flatpak:${identity.appId}`;
    case 'snap': return `snap:${identity.name}`;
    case 'appimage': return `appimage:${identity.name}`;
  }
}
