/** Docker token-auth scopes and the rules that grant them: pure, no I/O. */

/** One entry of a registry token's `access` claim. */
export interface ResourceAccess {
  type: string;
  name: string;
  actions: string[];
}

export type RepoAction = 'pull' | 'push';

/** Who asks, as the token service sees the owner of a registry account. */
export interface Principal {
  /** The owner's role (services/permissions.ts): 4 system admin, 2/3 member of `businessId`, 1 no business. */
  role: 0 | 1 | 2 | 3 | 4;
  businessId: number | null;
}

/** The project a repository name falls in, as far as the rules care. */
export interface ProjectFacts {
  businessId: number | null;
  public: boolean;
}

/**
 * Parses one scope, `repository:<name>:<action>[,<action>...]` (the type may carry a class,
 * `repository(plugin)`). Any other resource type, and malformed scopes, give undefined.
 */
export function parseRepositoryScope(scope: string): { name: string; actions: string[] } | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const type = scope.slice(0, first).replace(/\([a-z0-9]+\)$/, '');
  if (type !== 'repository') return undefined;
  const name = scope.slice(first + 1, last);
  const actions = scope
    .slice(last + 1)
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (!REPOSITORY_NAME.test(name) || name.length > 255 || actions.length === 0) return undefined;
  return { name, actions };
}

/** Docker's repository name grammar: lower-case path components separated by '/'. */
export const REPOSITORY_NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/** The project of a repository name: its first path segment, when the name has at least two. */
export function projectOf(repository: string): string | undefined {
  const slash = repository.indexOf('/');
  return slash > 0 ? repository.slice(0, slash) : undefined;
}

/**
 * The actions a principal gets on a repository of `project` (undefined: no such project):
 * - the system administrator: pull and push everywhere;
 * - members (roles 2, 3) of the owning business: pull and push;
 * - anyone else with an account (role 1 included): pull, only when the project is public;
 * - role 0, unknown projects, private projects of others: nothing.
 * Only actions the client asked for are granted; `delete` and `*` never are (deletion goes through the API).
 */
export function grantActions(p: Principal, project: ProjectFacts | undefined, requested: readonly string[]): RepoAction[] {
  if (!project || p.role === 0) return [];
  let allowed: RepoAction[];
  if (p.role === 4) allowed = ['pull', 'push'];
  else if ((p.role === 2 || p.role === 3) && p.businessId !== null && p.businessId === project.businessId) allowed = ['pull', 'push'];
  else if (project.public) allowed = ['pull'];
  else allowed = [];
  return allowed.filter((a) => requested.includes(a));
}

/** Splits `scope` query values: Docker sends one per resource, some clients join several with spaces. */
export function splitScopes(values: readonly string[], max = 20): string[] {
  return values.flatMap((v) => v.split(' ')).filter(Boolean).slice(0, max);
}
