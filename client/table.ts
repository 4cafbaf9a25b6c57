/** Plain-text output helpers for the CLI: aligned tables, bars, durations. */
import { formatBytes } from '../workflows/lib/format';

/** Rows under a header, columns padded to their widest cell; empty cells print as "-". */
export function table(header: string[], rows: Array<Array<string | undefined>>): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === undefined || c === '' ? '-' : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : (c ?? '').padEnd(widths[i] ?? 0))).join('  '))
    .join('\n');
}

/** `[#####.....]  50%` for `done` of `total`. */
export function bar(done: number, total: number, width = 24): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%`;
}

/** 3725 → "1h2m", 75 → "1m15s", 4.2 → "4s". */
export function seconds(s: number): string {
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  return h ? `${h}h${m}m` : m ? `${m}m${t % 60}s` : `${t}s`;
}

/** Bytes per second as "3.1 MiB/s". */
export function rate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** An ISO time as local "YYYY-MM-DD HH:MM:SS". */
export function when(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export { formatBytes };
