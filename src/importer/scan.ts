/**
 * Linear-time string helpers for what a backtracking regex does in quadratic time on a crafted line: a trailing
 * character class anchored at the end (`/[。；\s]+$/` retries from every position of a long run) and "cut from a
 * label to the end" (`/[，\s]*label.*$/`). An upload is untrusted, so these run as loops.
 */

const SPACE = /\s/;

/** `s` without its trailing characters from `chars` (and whitespace when `whitespace`). */
export function trimEndChars(s: string, chars: string, whitespace = false): string {
  let end = s.length;
  while (end > 0) {
    const c = s[end - 1]!;
    if (chars.includes(c) || (whitespace && SPACE.test(c))) end--;
    else break;
  }
  return end === s.length ? s : s.slice(0, end);
}

/** `s` before the first match of `label` (not global), without the separators before it; `s` when there is none. */
export function cutAtLabel(s: string, label: RegExp, separators: string): string {
  const m = label.exec(s);
  return m ? trimEndChars(s.slice(0, m.index), separators, true) : s;
}
