/** Structured JSON-line logging shared by the hub and the agent. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Field names whose values never reach a log line, whatever the caller passes. */
const SECRET_KEY = /pass(word)?|secret|token|authorization|credential|cookie|^key$/i;

/** Replaces values under secret-looking keys, at any depth, with "[redacted]". */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
  }
  return out;
}

export interface LoggerOptions {
  level: LogLevel;
  name: string;
  write?: (line: string) => void;
  now?: () => number;
}

/** Creates a logger that writes one JSON object per line. */
export function createLogger(opts: LoggerOptions, bound: LogFields = {}): Logger {
  const min = RANK[opts.level];
  const write = opts.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const now = opts.now ?? Date.now;
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (RANK[level] < min) return;
    const rec = { time: new Date(now()).toISOString(), level, name: opts.name, msg, ...bound, ...fields };
    write(JSON.stringify(redact(rec)));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(opts, { ...bound, ...fields }),
  };
}

/** A logger that drops everything (unit and API tests). */
export const silentLogger: Logger = createLogger({ level: 'error', name: 'silent', write: () => {} });
