import { describe, expect, it } from 'vitest';
import type { pb } from '../../../src/protocol/index.ts';
import { describeRequirements, describeUnschedulable, matchesRequirements, unmetRequirements } from '../../../src/coordinator/matchesRequirements.ts';
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
    sumoTools: false,
    sumoTraci: false,
    sumoLibsumo: false,
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

describe('unmetRequirements and the unschedulable message', () => {
  it('lists what an agent lacks, in a stable order', () => {
    const all = requires({ cpus: 8, memoryMb: 9000, labels: { zone: 'b', gpu: 'none' }, resources: { licence: 3, fpga: 1 }, sumo: '>=1.16' });
    expect(unmetRequirements(all, capacity({ sumoVersion: '1.15.0' }))).toEqual(['cpus', 'memoryMb', 'labels.zone', 'resources.licence', 'resources.fpga', 'sumo']);
    expect(unmetRequirements(all, capacity({ slots: 8, memoryMb: 9000, labels: { zone: 'b', gpu: 'none' }, resources: { licence: 3, fpga: 1 }, sumoVersion: '1.16.1' }))).toEqual([]);
    expect(unmetRequirements(undefined, capacity())).toEqual([]);
  });

  it('describes requirements as the SDK user wrote them', () => {
    expect(describeRequirements(requires({ sumo: '*' }))).toBe('{sumo: true}');
    expect(describeRequirements(requires({ cpus: 2, memoryMb: 512, sumo: '>=1.15 <2', labels: { zone: 'eu' }, resources: { licence: 1 } }))).toBe(
      '{cpus: 2, memoryMb: 512, sumo: ">=1.15 <2", labels: {zone: "eu"}, resources: {licence: 1}}',
    );
  });

  it('groups agents that offer the same and stays bounded', () => {
    const agents = Array.from({ length: 1000 }, (_, i) => ({ name: `node-${i}`, capacity: capacity({ slots: i % 2 === 0 ? 2 : 4, labels: {}, resources: {} }) }));
    const message = describeUnschedulable(requires({ sumo: '>=1.16' }), agents);
    expect(message).toBe('no connected agent satisfies requires {sumo: ">=1.16"}: node-0, node-2, node-4 and 497 more offer no sumo, 2 slots, 4.0 GiB; node-1, node-3, node-5 and 497 more offer no sumo, 4 slots, 4.0 GiB');
    const varied = Array.from({ length: 1000 }, (_, i) => ({ name: `n-${'x'.repeat(100)}-${i}`, capacity: capacity({ slots: i, labels: { host: `h${i}` } }) }));
    const long = describeUnschedulable(requires({ sumo: '*' }), varied);
    expect(long.length).toBeLessThanOrEqual(1500);
    expect(long).toMatch(/\d+ other agents offer other combinations$/);
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
