// Runtime fault injection: each fault fires `count` times (default 1, Infinity allowed), in the
// order they were injected.
import type { Fault, FaultKind, ReplyStage } from './types.js';

interface Armed {
  fault: Fault;
  left: number;
}

export class FaultBook {
  private armed: Armed[] = [];

  inject(fault: Fault): void {
    const left = fault.count ?? 1;
    if (!(left > 0)) return;
    this.armed.push({ fault, left });
  }

  clear(): void {
    this.armed = [];
  }

  /** Consume one firing of the first armed fault of this kind (and stage, for delayReply). */
  take(kind: FaultKind, stage?: ReplyStage): Fault | undefined {
    const i = this.armed.findIndex((a) => a.fault.kind === kind && (stage === undefined || (a.fault.kind === 'delayReply' && a.fault.stage === stage)));
    if (i === -1) return undefined;
    const a = this.armed[i]!;
    a.left--;
    if (a.left <= 0) this.armed.splice(i, 1);
    return a.fault;
  }

  pending(): Array<Fault & { left: number }> {
    return this.armed.map((a) => ({ ...a.fault, left: a.left }));
  }
}
