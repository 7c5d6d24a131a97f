/**
 * What a log may say about a failed Lark call: the HTTP status, Lark's code and msg, and the log_id Lark support asks
 * for (body `error.log_id`, or the `x-tt-logid` header). Never the request: an SDK/axios error carries the request
 * config, whose headers hold `Authorization: Bearer <tenant_access_token>` and whose body may hold the app secret, so
 * the error object itself is never stringified or serialised into a log.
 */
export interface LarkErrorFields {
  http_status?: number;
  code?: number;
  msg?: string;
  log_id?: string;
  /** Network-level failures (no answer): ECONNREFUSED, ETIMEDOUT… */
  network?: string;
  /** For errors that are not Lark's: the error's class and message only. */
  error?: string;
}

type Loose = Record<string, unknown>;
const obj = (v: unknown): Loose | null => (v && typeof v === "object" ? (v as Loose) : null);
const str = (v: unknown, max = 300): string | undefined => (typeof v === "string" && v ? v.slice(0, max) : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

function header(headers: unknown, name: string): string | undefined {
  const h = obj(headers);
  if (!h) return undefined;
  // axios headers are an AxiosHeaders object with get(); plain records otherwise.
  const get = (h as { get?: (n: string) => unknown }).get;
  const v = typeof get === "function" ? get.call(h, name) : h[name] ?? h[name.toLowerCase()];
  return str(Array.isArray(v) ? v[0] : v, 100);
}

/** Lark's answer body (`{code, msg, error: {log_id}}`) as fields. */
export function larkBodyFields(body: unknown): LarkErrorFields {
  const b = obj(body);
  if (!b) return {};
  const out: LarkErrorFields = {};
  const code = num(b.code);
  if (code !== undefined) out.code = code;
  const msg = str(b.msg);
  if (msg) out.msg = msg;
  const logId = str(obj(b.error)?.log_id, 100);
  if (logId) out.log_id = logId;
  return out;
}

/** Safe, useful fields of any error thrown by a Lark call (SDK, axios or fetch) or by our own code. */
export function larkErrorFields(err: unknown): LarkErrorFields {
  const e = obj(err);
  const response = obj(e?.response);
  if (response) {
    const out: LarkErrorFields = { ...larkBodyFields(response.data) };
    const status = num(response.status);
    if (status !== undefined) out.http_status = status;
    out.log_id ??= header(response.headers, "x-tt-logid");
    if (out.log_id === undefined) delete out.log_id;
    if (out.code === undefined && out.msg === undefined) out.error = str(e?.message);
    return out;
  }
  const fromBody = larkBodyFields(err);
  if (fromBody.code !== undefined) return fromBody;
  const network = str(e?.code, 40);
  if (network && /^E[A-Z]+$/.test(network)) return { network, error: str(e?.message) };
  if (err instanceof Error) return { error: `${err.name}: ${err.message}`.slice(0, 500) };
  return { error: typeof err === "string" ? err.slice(0, 500) : Object.prototype.toString.call(err) };
}

/** One line for a stored `last_error` and for humans: "http 400 code 230002 bot not in chat log_id 2024…". */
export function describeLarkError(f: LarkErrorFields): string {
  const parts = [
    f.http_status !== undefined ? `http ${f.http_status}` : null,
    f.network ?? null,
    f.code !== undefined ? `code ${f.code}` : null,
    f.msg ?? f.error ?? null,
    f.log_id ? `log_id ${f.log_id}` : null,
  ].filter((x): x is string => !!x);
  return parts.join(" ") || "unknown error";
}

/**
 * The fields a log line gets for a failure: `lark: {http_status, code, msg, log_id}` when Lark (or the network to it)
 * answered, else `error: "Name: message"`. Nested because a log line's own `msg` is the event ("send failed…") and
 * Lark's msg must not overwrite it.
 */
export function errorLogFields(err: unknown): { lark?: LarkErrorFields; error?: string } {
  return larkLogFields(larkErrorFields(err));
}

export function larkLogFields(f: LarkErrorFields): { lark?: LarkErrorFields; error?: string } {
  if (f.http_status !== undefined || f.code !== undefined || f.network !== undefined || f.log_id !== undefined) return { lark: f };
  return { error: f.error ?? "unknown error" };
}
