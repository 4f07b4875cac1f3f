import { describe, expect, it } from 'vitest';
import { grantActions, parseRepositoryScope, projectOf, splitScopes, type Principal, type ProjectFacts } from '../../hub/src/registry/scope.js';

const OWN = 7;
const OTHER = 8;

describe('grantActions: account owner x project owner x publicity x asked', () => {
  const principals: Record<string, Principal> = {
    'admin of the owner (3)': { role: 3, businessId: OWN },
    'member of the owner (2)': { role: 2, businessId: OWN },
    'admin of another business (3)': { role: 3, businessId: OTHER },
    'member of another business (2)': { role: 2, businessId: OTHER },
    'no business (1)': { role: 1, businessId: null },
    'pending (0)': { role: 0, businessId: null },
    'system admin (4)': { role: 4, businessId: null },
  };
  const projects: Record<string, ProjectFacts> = {
    private: { businessId: OWN, public: false },
    public: { businessId: OWN, public: true },
  };
  // [principal, project, expected for pull,push asked]
  const table: [string, string, string[]][] = [
    ['admin of the owner (3)', 'private', ['pull', 'push']],
    ['admin of the owner (3)', 'public', ['pull', 'push']],
    ['member of the owner (2)', 'private', ['pull', 'push']],
    ['member of the owner (2)', 'public', ['pull', 'push']],
    ['admin of another business (3)', 'private', []],
    ['admin of another business (3)', 'public', ['pull']],
    ['member of another business (2)', 'private', []],
    ['member of another business (2)', 'public', ['pull']],
    ['no business (1)', 'private', []],
    ['no business (1)', 'public', ['pull']],
    ['pending (0)', 'private', []],
    ['pending (0)', 'public', []],
    ['system admin (4)', 'private', ['pull', 'push']],
    ['system admin (4)', 'public', ['pull', 'push']],
  ];

  it.each(table)('%s on a %s project gets %j', (who, kind, want) => {
    expect(grantActions(principals[who]!, projects[kind]!, ['pull', 'push'])).toEqual(want);
  });

  it.each(table)('%s on a %s project asking pull only gets at most pull', (who, kind, want) => {
    expect(grantActions(principals[who]!, projects[kind]!, ['pull'])).toEqual(want.filter((a) => a === 'pull'));
  });

  it.each(table)('%s on a %s project asking push only gets at most push', (who, kind, want) => {
    expect(grantActions(principals[who]!, projects[kind]!, ['push'])).toEqual(want.filter((a) => a === 'push'));
  });

  it('grants nothing on a project the hub does not know', () => {
    expect(grantActions({ role: 4, businessId: null }, undefined, ['pull', 'push'])).toEqual([]);
  });

  it('never grants delete or *', () => {
    expect(grantActions({ role: 4, businessId: null }, projects.private, ['delete', '*'])).toEqual([]);
    expect(grantActions({ role: 3, businessId: OWN }, projects.private, ['pull', 'delete', '*'])).toEqual(['pull']);
  });

  it('treats a system project (no business) as nobody else\'s: members get pull only when public', () => {
    expect(grantActions({ role: 3, businessId: OWN }, { businessId: null, public: false }, ['pull', 'push'])).toEqual([]);
    expect(grantActions({ role: 3, businessId: OWN }, { businessId: null, public: true }, ['pull', 'push'])).toEqual(['pull']);
  });
});

describe('parseRepositoryScope', () => {
  it.each([
    ['repository:proj/img:pull,push', { name: 'proj/img', actions: ['pull', 'push'] }],
    ['repository:proj/a/b:pull', { name: 'proj/a/b', actions: ['pull'] }],
    ['repository(plugin):proj/img:pull', { name: 'proj/img', actions: ['pull'] }],
    ['repository:single:pull', { name: 'single', actions: ['pull'] }],
  ])('parses %s', (scope, want) => {
    expect(parseRepositoryScope(scope)).toEqual(want);
  });

  it.each([
    'registry:catalog:*',
    'repository:proj/img',
    'repository:Proj/Img:pull',
    'repository:proj//img:pull',
    'repository:proj/img:',
    'repository:../etc:pull',
    ':proj/img:pull',
    'repository:' + 'a/'.repeat(130) + 'b:pull',
  ])('refuses %s', (scope) => {
    expect(parseRepositoryScope(scope)).toBeUndefined();
  });
});

describe('projectOf and splitScopes', () => {
  it('takes the first path segment of names with two or more', () => {
    expect(projectOf('proj/img')).toBe('proj');
    expect(projectOf('proj/a/b')).toBe('proj');
    expect(projectOf('img')).toBeUndefined();
  });

  it('splits space-joined scopes and caps their number', () => {
    expect(splitScopes(['repository:a/b:pull repository:a/c:push', 'repository:a/d:pull'])).toEqual([
      'repository:a/b:pull',
      'repository:a/c:push',
      'repository:a/d:pull',
    ]);
    expect(splitScopes(Array.from({ length: 30 }, (_, i) => `repository:a/${i}:pull`))).toHaveLength(20);
  });
});
