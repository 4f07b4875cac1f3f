/** The one error type services throw; onError turns it into the {code, message} envelope. */
export class AppError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 503,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const unauthorized = (msg = 'missing, invalid, expired or revoked token') => new AppError(401, msg);
export const forbidden = (msg = 'your role may not do this') => new AppError(403, msg);
export const notFound = (what: string) => new AppError(404, `${what} not found`);
export const conflict = (msg: string) => new AppError(409, msg);
export const invalid = (msg: string) => new AppError(422, msg);
export const noRegistry = () => new AppError(503, 'no registry is configured on this hub (HUB_REGISTRY_URL is unset)');
