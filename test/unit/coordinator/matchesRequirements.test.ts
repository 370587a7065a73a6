import { describe, expect, it } from 'vitest';
import type { pb } from '../../../src/protocol/index.ts';
import { matchesRequirements } from '../../../src/coordinator/matchesRequirements.ts';
import { SumoVersionRange } from '../../../src/coordinator/SumoVersionRange.ts';

function capacity(overrides: Partial<pb.Capacity> = {}): pb.Capacity {
  return {
    cpus: 4,
    memoryMb: 4096,
    slots: 4,
    sumoVersion: '',
    sumoHome: '',
    labels: { zone: 'a', gpu: 'none' },
    resources: { licence: 2 },
    hostname: 'h',
    platform: 'linux',
    nodeVersion: 'v24',
    ...overrides,
  };
}

function requires(overrides: Partial<pb.Requirements> = {}): pb.Requirements {
  return { cpus: 0, memoryMb: 0, sumo: '', labels: {}, resources: {}, ...overrides };
}

describe('matchesRequirements', () => {
  it('matches anything when nothing is required', () => {
    expect(matchesRequirements(undefined, capacity())).toBe(true);
    expect(matchesRequirements(requires(), capacity())).toBe(true);
  });

  it('needs enough slots for one task (cpus 0 meaning 1)', () => {
    expect(matchesRequirements(requires({ cpus: 4 }), capacity())).toBe(true);
    expect(matchesRequirements(requires({ cpus: 5 }), capacity())).toBe(false);
    expect(matchesRequirements(requires({ cpus: 0 }), capacity({ slots: 0 }))).toBe(false);
  });

  it('needs at least the memory asked for', () => {
    expect(matchesRequirements(requires({ memoryMb: 4096 }), capacity())).toBe(true);
    expect(matchesRequirements(requires({ memoryMb: 4097 }), capacity())).toBe(false);
  });

  it('needs every label equal', () => {
    expect(matchesRequirements(requires({ labels: { zone: 'a' } }), capacity())).toBe(true);
    expect(matchesRequirements(requires({ labels: { zone: 'b' } }), capacity())).toBe(false);
    expect(matchesRequirements(requires({ labels: { zone: 'a', rack: '1' } }), capacity())).toBe(false);
  });

  it('needs at least every resource', () => {
    expect(matchesRequirements(requires({ resources: { licence: 2 } }), capacity())).toBe(true);
    expect(matchesRequirements(requires({ resources: { licence: 2.5 } }), capacity())).toBe(false);
    expect(matchesRequirements(requires({ resources: { fpga: 1 } }), capacity())).toBe(false);
  });

  it('needs an installed SUMO in range when sumo is set', () => {
    expect(matchesRequirements(requires({ sumo: '*' }), capacity())).toBe(false);
    expect(matchesRequirements(requires({ sumo: '*' }), capacity({ sumoVersion: '1.2.0' }))).toBe(true);
    expect(matchesRequirements(requires({ sumo: '>=1.15' }), capacity({ sumoVersion: '1.20.0' }))).toBe(true);
    // Numeric, not lexicographic: 1.9 is older than 1.15.
    expect(matchesRequirements(requires({ sumo: '>=1.15' }), capacity({ sumoVersion: '1.9.0' }))).toBe(false);
    expect(matchesRequirements(requires({ sumo: 'not a range' }), capacity({ sumoVersion: '1.20.0' }))).toBe(false);
  });
});

describe('SumoVersionRange', () => {
  const cases: [string, string, boolean][] = [
    ['>=1.15', '1.15.0', true],
    ['>=1.15', '1.14.9', false],
    ['>1.15', '1.15.3', false],
    ['>1.15', '1.16.0', true],
    ['<2', '1.99.0', true],
    ['<2', '2.0.0', false],
    ['<=1.15', '1.15.7', true],
    ['<=1.15', '1.16.0', false],
    ['1.15', '1.15.2', true],
    ['1.15', '1.16.0', false],
    ['=1.20.0', '1.20.0', true],
    ['=1.20.0', '1.20.1', false],
    ['^1.15', '1.30.0', true],
    ['^1.15', '2.0.0', false],
    ['~1.15', '1.15.9', true],
    ['~1.15', '1.16.0', false],
    ['>=1.15 <1.20', '1.19.0', true],
    ['>=1.15 <1.20', '1.20.0', false],
    ['1.10 || >=1.18', '1.10.1', true],
    ['1.10 || >=1.18', '1.12.0', false],
    ['>= 1.15', '1.18.0-dev', true],
    ['1.x', '1.4.0', true],
    ['*', '0.1', true],
  ];
  it.each(cases)('%s includes %s: %s', (range, version, expected) => {
    expect(SumoVersionRange.parse(range).includes(version)).toBe(expected);
  });

  it('refuses ranges it cannot read', () => {
    expect(() => SumoVersionRange.parse('>=banana')).toThrow(/banana/);
    expect(() => SumoVersionRange.parse('1.15 ||')).toThrow(RangeError);
  });
});
