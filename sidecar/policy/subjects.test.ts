import { describe, expect, it } from 'vitest';
import type { Identity } from '../core/command.js';
import { compileSubjects, subjectMatches } from './subjects.js';

const alice: Identity = { subject: 'alice', groups: ['crewai-viewer', 'dev'] };
const crew: Identity = {
  subject: 'system:serviceaccount:agents:research-crew',
  groups: [],
  serviceAccount: 'agents/research-crew',
};

describe('subject matching', () => {
  it('matches groups, users and service accounts', () => {
    expect(subjectMatches({ group: 'dev' }, alice, 'agents')).toBe(true);
    expect(subjectMatches({ group: 'ops' }, alice, 'agents')).toBe(false);
    expect(subjectMatches({ user: 'alice' }, alice, 'agents')).toBe(true);
    expect(subjectMatches({ user: 'bob' }, alice, 'agents')).toBe(false);
    expect(subjectMatches({ serviceAccount: { name: 'research-crew' } }, crew, 'agents')).toBe(true);
    expect(subjectMatches({ serviceAccount: { name: 'research-crew' } }, crew, 'other')).toBe(false);
    expect(
      subjectMatches({ serviceAccount: { name: 'research-crew', namespace: 'agents' } }, crew, 'other'),
    ).toBe(true);
    expect(
      subjectMatches({ serviceAccount: { name: 'research-crew', namespace: 'agents2' } }, crew, 'agents'),
    ).toBe(false);
  });

  it('never takes a service account from the subject string alone', () => {
    const spoof: Identity = { subject: 'system:serviceaccount:agents:research-crew', groups: [] };
    expect(subjectMatches({ serviceAccount: { name: 'research-crew' } }, spoof, 'agents')).toBe(false);
    expect(compileSubjects([{ serviceAccount: { name: 'research-crew' } }], 'agents').matches(spoof)).toBe(
      false,
    );
  });

  it('compiles a list that agrees with the one-by-one check', () => {
    const subjects = [{ group: 'ops' }, { user: 'bob' }, { serviceAccount: { name: 'research-crew' } }];
    const m = compileSubjects(subjects, 'agents');
    for (const id of [alice, crew, { subject: 'bob', groups: [] }, { subject: 'x', groups: ['ops'] }]) {
      expect(m.matches(id)).toBe(subjects.some((s) => subjectMatches(s, id, 'agents')));
    }
    expect(m.descriptions).toEqual(['group ops', 'user bob', 'serviceAccount agents/research-crew']);
    expect(compileSubjects([], 'agents').matches(alice)).toBe(false);
  });

  it('a group name is not a user name', () => {
    expect(compileSubjects([{ group: 'alice' }], 'ns').matches(alice)).toBe(false);
    expect(compileSubjects([{ user: 'dev' }], 'ns').matches(alice)).toBe(false);
  });
});
