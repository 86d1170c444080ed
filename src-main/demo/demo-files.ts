// Where the demo keeps its things: one folder, never the user's real data dir or home, so trying the
// demo cannot change a real Gatehouse set-up or a real AI client's config.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export type DemoLayout = {
  /** The gateway's data dir (tokens, sign-in, policy cache, audit log). */
  dataDir: string;
  /** The org side: policy file, IdP signing key, the servers' files. */
  orgDir: string;
  policyFile: string;
  idpKeyFile: string;
  /** The folder the filesystem server may read (and, for some, write). */
  sandboxDir: string;
  memoryFile: string;
  /** What laptops shipped to the org server's audit receiver (JSON lines). */
  orgAuditFile: string;
  /** A stand-in home: the window's Clients view writes AI client configs here, not into the real home. */
  homeDir: string;
};

/**
 * `<OS temp dir>/gatehouse-demo-<user>`: temporary by nature, outside the real data dir, and per
 * user so that two people on one machine do not share (or hijack) each other's demo.
 */
export function defaultDemoDataDir(): string {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    user = String(process.getuid?.() ?? 'user');
  }
  return path.join(os.tmpdir(), `gatehouse-demo-${user.replace(/[^A-Za-z0-9._-]/g, '_')}`);
}

export function demoLayout(dataDir: string): DemoLayout {
  const orgDir = path.join(dataDir, 'demo-org');
  return {
    dataDir,
    orgDir,
    policyFile: path.join(orgDir, 'policy.json'),
    idpKeyFile: path.join(orgDir, 'idp-signing-key.json'),
    sandboxDir: path.join(orgDir, 'sandbox'),
    memoryFile: path.join(orgDir, 'memory.jsonl'),
    orgAuditFile: path.join(orgDir, 'org-audit.jsonl'),
    homeDir: path.join(dataDir, 'home'),
  };
}

/** Creates the folders (private to the user) and the sandbox's sample files; keeps what is there. */
export async function prepareDemoFiles(layout: DemoLayout): Promise<void> {
  await ensurePrivateDir(layout.dataDir);
  for (const dir of [layout.orgDir, layout.sandboxDir, path.join(layout.sandboxDir, 'notes'), layout.homeDir]) {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  }
  for (const [name, text] of Object.entries(SANDBOX_FILES)) {
    await fs
      .writeFile(path.join(layout.sandboxDir, name), text, { flag: 'wx' })
      .catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
  }
}

/**
 * A folder in a shared temp dir could have been made by someone else, to read the demo's tokens or
 * to hand it a symlink: use it only if it is a real folder owned by this user.
 */
async function ensurePrivateDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const stat = await fs.lstat(dir);
  const uid = process.getuid?.();
  if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) {
    throw new Error(`${dir} is not a folder of yours; pass --data-dir with another folder for the demo.`);
  }
  if (process.platform !== 'win32') await fs.chmod(dir, 0o700);
}

const SANDBOX_FILES: Record<string, string> = {
  'README.md': `# Demo sandbox

This folder is what the demo org's "filesystem" server may see. Ask your AI client to read
notes/launch-plan.md, or to write a file here: the eng group may, the sales group may not.
`,
  'notes/launch-plan.md': `# Launch plan (demo data)

- Week 1: pilot Gatehouse with the platform team.
- Week 2: roll out to sales with read-only access to shared files.
- Week 3: audit review with security.
`,
  'customers.csv': `name,plan,seats
Acme Corp,enterprise,400
Globex,team,25
Initech,team,12
`,
};
