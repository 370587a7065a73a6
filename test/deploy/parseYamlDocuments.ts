import { execFileSync } from 'node:child_process';

/**
 * Parse a multi-document YAML stream (what `kubectl kustomize` prints) into plain objects.
 *
 * The repository has no YAML parser among its dependencies, so this uses the one on the machine: Python's
 * PyYAML (`yaml.safe_load_all`), the parser kubectl's own tooling is usually checked against. If it is
 * missing, the error says how to get it.
 */
export function parseYamlDocuments(yaml: string): Record<string, unknown>[] {
  const script = 'import sys, json, yaml\njson.dump([d for d in yaml.safe_load_all(sys.stdin) if d is not None], sys.stdout)';
  let json: string;
  try {
    json = execFileSync('python3', ['-c', script], { input: yaml, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (error) {
    throw new Error('parsing YAML needs python3 with PyYAML (apt-get install python3-yaml)', { cause: error });
  }
  return JSON.parse(json) as Record<string, unknown>[];
}
