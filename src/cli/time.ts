import { formatDuration } from "../util/duration.js";

/** "in 5h", "3m ago", or "" for no time; minutes granularity once past an hour. */
export function relativeTime(iso: string | undefined, now: Date): string {
  if (!iso) return "";
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return "";
  const delta = at - now.getTime();
  const abs = Math.abs(delta);
  const rounded = abs >= 3_600_000 ? Math.round(abs / 60_000) * 60_000 : abs;
  const text = formatDuration(rounded);
  return delta >= 0 ? `in ${text}` : `${text} ago`;
}
