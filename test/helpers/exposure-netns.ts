// Network namespaces for the exposure tests: an outside host, a NAT router and a LAN host,
// joined by veth pairs, with unique names per run and a destroy() that removes everything
// (children first, then the namespaces) even after a failure.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export { runCommand as runCmd, mustRun as must, type RunResult } from './run.js';
import { runCommand as runCmd, mustRun as must, type RunResult } from './run.js';

export function findTool(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const d of dirs) if (d && existsSync(join(d, name))) return join(d, name);
  return undefined;
}

export const WAN = { router: '20.0.113.1', outside: '20.0.113.2', prefix: 24 };
export const LAN = { router: '192.168.77.1', host: '192.168.77.10', net: '192.168.77.0/24', prefix: 24 };

export class Topology {
  readonly id = `ox${randomBytes(3).toString('hex')}`;
  readonly outside = `${this.id}-out`;
  readonly router = `${this.id}-rtr`;
  readonly lan = `${this.id}-lan`;
  /** Interface names (<= 15 chars): router WAN/LAN side, outside and LAN host ends. */
  readonly wanIf = `${this.id}w`;
  readonly lanIf = `${this.id}l`;
  private children = new Set<ChildProcess>();
  private created: string[] = [];

  async build(): Promise<void> {
    for (const ns of [this.outside, this.router, this.lan]) {
      await must('ip', ['netns', 'add', ns]);
      this.created.push(ns);
      await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    await this.veth(this.wanIf, this.router, `${this.id}o`, this.outside);
    await this.veth(this.lanIf, this.router, `${this.id}h`, this.lan);
    await this.addr(this.router, this.wanIf, `${WAN.router}/${WAN.prefix}`);
    await this.addr(this.outside, `${this.id}o`, `${WAN.outside}/${WAN.prefix}`);
    await this.addr(this.router, this.lanIf, `${LAN.router}/${LAN.prefix}`);
    await this.addr(this.lan, `${this.id}h`, `${LAN.host}/${LAN.prefix}`);
    await must('ip', ['-n', this.lan, 'route', 'add', 'default', 'via', LAN.router]);
    await must('ip', ['netns', 'exec', this.router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    // The router masquerades LAN traffic; chains named for miniupnpd stay empty until it adds rules.
    await must('ip', ['netns', 'exec', this.router, 'nft', '-f', '-'], `table inet omr {
  chain miniupnpd { }
  chain prerouting_miniupnpd { }
  chain postrouting_miniupnpd { }
  chain forward { type filter hook forward priority 0; policy accept; jump miniupnpd; }
  chain prerouting { type nat hook prerouting priority -100; policy accept; jump prerouting_miniupnpd; }
  chain postrouting { type nat hook postrouting priority 100; policy accept; jump postrouting_miniupnpd; oifname "${this.wanIf}" masquerade; }
}
`);
  }

  private async veth(a: string, nsA: string, b: string, nsB: string): Promise<void> {
    await must('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
    await must('ip', ['link', 'set', a, 'netns', nsA]);
    await must('ip', ['link', 'set', b, 'netns', nsB]);
  }

  private async addr(ns: string, dev: string, cidr: string): Promise<void> {
    await must('ip', ['-n', ns, 'addr', 'add', cidr, 'dev', dev]);
    await must('ip', ['-n', ns, 'link', 'set', dev, 'up']);
  }

  /** A static port forward on the router (what an admin clicks in the router's UI). */
  async addPortForward(port: number): Promise<void> {
    await must('ip', ['netns', 'exec', this.router, 'nft', 'add', 'rule', 'inet', 'omr', 'prerouting', 'iifname', this.wanIf, 'tcp', 'dport', String(port), 'dnat', 'ip', 'to', `${LAN.host}:${port}`]);
  }

  async flushPortForwards(): Promise<void> {
    await must('ip', ['netns', 'exec', this.router, 'nft', 'flush', 'chain', 'inet', 'omr', 'prerouting']);
    await must('ip', ['netns', 'exec', this.router, 'nft', 'add', 'rule', 'inet', 'omr', 'prerouting', 'jump', 'prerouting_miniupnpd']);
  }

  /** The router silently drops this TCP port on its WAN side (a "stealth" firewall). */
  async dropPort(port: number): Promise<void> {
    await must('ip', ['netns', 'exec', this.router, 'nft', '-f', '-'], `table inet omrdrop {
  chain input { type filter hook input priority -10; policy accept; iifname "${this.wanIf}" tcp dport ${port} drop; }
}
`);
  }

  async undropPorts(): Promise<void> {
    await must('ip', ['netns', 'exec', this.router, 'nft', 'delete', 'table', 'inet', 'omrdrop']);
  }

  exec(ns: string, cmd: string, args: string[], timeoutMs = 60_000): Promise<RunResult> {
    return runCmd('ip', ['netns', 'exec', ns, cmd, ...args], { timeoutMs });
  }

  /** Starts a long-running process in a namespace; destroy() kills it. */
  spawnIn(ns: string, cmd: string, args: string[]): ChildProcess & { output: () => string } {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return Object.assign(child, { output: () => out });
  }

  async stop(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  }

  /** Waits until something listens on this TCP port inside the namespace. */
  async waitListening(ns: string, port: number, timeoutMs = 15_000): Promise<void> {
    const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const r = await this.exec(ns, 'cat', ['/proc/net/tcp', '/proc/net/tcp6']);
      if (r.stdout.split('\n').some((l) => l.includes(hex) && / 0A /.test(l) && l.indexOf(hex) < 50)) return;
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error(`nothing listens on port ${port} in ${ns} after ${timeoutMs} ms`);
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.children].map((c) => this.stop(c)));
    for (const ns of this.created.reverse()) await runCmd('ip', ['netns', 'del', ns]);
    this.created = [];
    // A veth left in the root namespace by a half-built topology.
    for (const dev of [this.wanIf, this.lanIf]) await runCmd('ip', ['link', 'del', dev]);
  }
}
