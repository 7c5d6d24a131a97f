import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** True when the module at `url` is the script being run (`tsx bench/x.ts`), false when another bench imports it. */
export const isMain = (url: string) => process.argv[1] !== undefined && pathToFileURL(resolve(process.argv[1])).href === url;

/** The p-th percentile of sorted numbers (0 for none). */
export const pct = (xs: number[], p: number) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]! : 0);
