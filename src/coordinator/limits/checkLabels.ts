import type { Limits } from './Limits.ts';
import { invalidArgument } from './invalidArgument.ts';
import { overLimit } from './overLimit.ts';
import type { Violation } from './Violation.ts';

/** Label and resource keys: letters, digits and `._/-`, starting with a letter or digit (as Kubernetes label keys). */
const KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Checks a `labels` and a `resources` map (of a requirement set or an agent's capacity): counts,
 * key lengths and characters, label value lengths, and resource amounts (finite, not negative).
 */
export function checkLabels(field: string, labels: Record<string, string>, resources: Record<string, number>, limits: Limits): Violation | undefined {
  for (const [kind, map] of [['labels', labels], ['resources', resources]] as const) {
    const keys = Object.keys(map);
    if (keys.length > limits.maxLabels) return overLimit(`${field}.${kind}`, keys.length, 'maxLabels', limits, ' entries');
    for (const key of keys) {
      const where = `${field}.${kind}[${JSON.stringify(key.slice(0, 40))}]`;
      if (key.length > limits.maxLabelKeyLength) return overLimit(`${where} key`, key.length, 'maxLabelKeyLength', limits, ' characters');
      if (!KEY.test(key)) return invalidArgument(where, 'key must be letters, digits and ._/- starting with a letter or digit');
    }
  }
  for (const [key, value] of Object.entries(labels)) {
    const where = `${field}.labels[${JSON.stringify(key.slice(0, 40))}]`;
    if (value.length > limits.maxLabelValueLength) return overLimit(`${where} value`, value.length, 'maxLabelValueLength', limits, ' characters');
    if (CONTROL.test(value)) return invalidArgument(where, 'value contains a control character');
  }
  for (const [key, amount] of Object.entries(resources)) {
    if (!Number.isFinite(amount) || amount < 0) {
      return invalidArgument(`${field}.resources[${JSON.stringify(key.slice(0, 40))}]`, `must be a finite amount of at least 0, got ${amount}`);
    }
  }
  return undefined;
}
