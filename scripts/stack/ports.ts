/** Before the stack starts: which of its ports are taken, and by whom (Linux /proc). */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { Config } from '../../platform/config';
import { portOpen } from '../../tools/services';

/** Who listens on a TCP port, from /proc (Linux): "pid 123 (postgres -D ...)", or undefined. */
function portOwner(port: number): string | undefined {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A' && parseInt(f[1]!.split(':')[1]!, 16) === port) inodes.add(f[9]!);
    }
  }
  if (!inodes.size) return undefined;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link = '';
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (inode && inodes.has(inode)) {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
        return `pid ${pid} (${cmd.length > 100 ? `${cmd.slice(0, 100)}...` : cmd})`;
      }
    }
  }
  return 'a process of another user';
}

/** The stack's ports, each with the variable that moves it; every taken one is named with its holder. */
export async function takenPorts(config: Config): Promise<string[]> {
  const ports: [number, string, string][] = [
    [config.API_PORT, 'the API', 'API_PORT'],
    [Number(config.TEMPORAL_ADDRESS.split(':')[1]), 'the Temporal dev server', 'TEMPORAL_ADDRESS'],
    [config.TEMPORAL_UI_PORT, 'the Temporal Web UI', 'TEMPORAL_UI_PORT'],
    [config.SMTP_PORT, 'the mail catcher (SMTP)', 'SMTP_PORT'],
    [config.MAIL_UI_PORT, 'the mail catcher (web)', 'MAIL_UI_PORT'],
  ];
  if (config.INBOUND_SMTP_PORT !== undefined)
    ports.push([config.INBOUND_SMTP_PORT, 'the check-off replies (inbound SMTP)', 'INBOUND_SMTP_PORT']);
  if (config.WORKER_METRICS_ADDRESS !== 'off')
    ports.push([Number(config.WORKER_METRICS_ADDRESS.split(':').pop()), "the worker's metrics", 'WORKER_METRICS_ADDRESS']);
  if (!config.DATABASE_URL) ports.unshift([config.EMBEDDED_PG_PORT, 'the embedded PostgreSQL', 'EMBEDDED_PG_PORT']);
  const taken: string[] = [];
  for (const [port, what, variable] of ports) {
    if (port && (await portOpen(port, '127.0.0.1')))
      taken.push(`port ${port} (${what}) is taken by ${portOwner(port) ?? 'another process'}: stop it, or set ${variable}`);
  }
  return taken;
}
