// Rate limits written as "60/min,600/hour": parsed once, shared by flags, env and config file.
export interface RateLimit {
  count: number;
  windowMs: number;
  /** As written, normalised: "60/min". */
  text: string;
}

const WINDOWS: Record<string, [number, string]> = {
  s: [1000, 's'], sec: [1000, 's'], second: [1000, 's'],
  m: [60_000, 'min'], min: [60_000, 'min'], minute: [60_000, 'min'],
  h: [3_600_000, 'hour'], hour: [3_600_000, 'hour'],
  d: [86_400_000, 'day'], day: [86_400_000, 'day'],
};

export function parseRateList(text: string): RateLimit[] {
  const t = text.trim();
  if (t === '' || t === '0' || t === 'off') return [];
  return t.split(',').map((part) => {
    const m = /^(\d+)\s*\/\s*([a-z]+)$/i.exec(part.trim());
    const w = m ? WINDOWS[m[2]!.toLowerCase()] : undefined;
    if (!m || !w) throw new Error(`"${part.trim()}" is not a rate (e.g. 60/min, 600/hour, 2000/day)`);
    const count = Number(m[1]);
    if (count < 1) throw new Error(`"${part.trim()}": the count must be at least 1`);
    return { count, windowMs: w[0], text: `${count}/${w[1]}` };
  });
}

export function formatRateList(limits: readonly RateLimit[]): string {
  return limits.length ? limits.map((l) => l.text).join(',') : 'off';
}
