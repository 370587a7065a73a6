// Every kustomization in deploy/k8s renders with `kubectl kustomize` (offline), every object it renders is
// valid against the Kubernetes schemas (kubernetes-models; KEDA's ScaledObject by hand), and every drover
// command line, port, file and environment variable in the manifests and Dockerfile exists: in the CLI
// (the commander program itself), in the containers, in the mounted Secrets.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/buildProgram.ts';
import { findUnknownOptions } from './findUnknownOptions.ts';
import { knownEnvironmentVariables } from './knownEnvironmentVariables.ts';
import { parseYamlDocuments } from './parseYamlDocuments.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const k8sDir = join(root, 'deploy', 'k8s');
const program = buildProgram();
/** Images that run the drover CLI (their entrypoint is `drover`). */
const DROVER_IMAGES = new Set(['drover', 'drover-sumo']);
/** Environment variables the platform reads, not drover. */
const PLATFORM_ENV = new Set(['TMPDIR', 'SUMO_HOME', 'NODE_ENV', 'NODE_OPTIONS']);

type Obj = Record<string, any>;

function kustomizationDirs(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...kustomizationDirs(path));
    // Components are rendered through the overlays that use them.
    else if (entry === 'kustomization.yaml' && /^kind: Kustomization$/m.test(readFileSync(path, 'utf8'))) found.push(dir);
  }
  return found.sort();
}

function render(dir: string): Obj[] {
  return parseYamlDocuments(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' }));
}

/** The pod template of a workload, if it has one. */
function podSpec(o: Obj): Obj | undefined {
  return ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind) ? o.spec?.template?.spec : undefined;
}

function droverContainers(o: Obj): Obj[] {
  return (podSpec(o)?.containers ?? []).filter((c: Obj) => DROVER_IMAGES.has(String(c.image).split(':')[0]!.split('/').pop()!));
}

/** The value of `--name value` in a command line. */
function flagValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

function portOf(hostPort: string): number {
  return Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));
}

/** Whether `labels` satisfies a `matchLabels` selector. */
function matches(selector: Obj | undefined, labels: Obj | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

/** Validate against the schema of the object's apiVersion and kind: the model's validate() throws if invalid. */
async function validateObject(o: Obj): Promise<void> {
  if (o.apiVersion === 'keda.sh/v1alpha1' && o.kind === 'ScaledObject') return validateScaledObject(o);
  let Model: { new (data: Obj): { validate(): void } };
  try {
    Model = (await import(`kubernetes-models/${o.apiVersion}/${o.kind}`))[o.kind];
  } catch (error) {
    throw new Error(`no schema for ${o.apiVersion} ${o.kind}: add a hand-written check`, { cause: error });
  }
  new Model(o).validate();
}

/** KEDA publishes no model here: its required fields, checked by hand (keda.sh/docs/latest/reference/scaledobject-spec). */
function validateScaledObject(o: Obj): void {
  expect(o.metadata?.name, 'ScaledObject metadata.name').toEqual(expect.any(String));
  expect(o.spec?.scaleTargetRef?.name, 'ScaledObject spec.scaleTargetRef.name').toEqual(expect.any(String));
  expect(o.spec.triggers, 'ScaledObject spec.triggers').toEqual(expect.arrayContaining([expect.objectContaining({ type: expect.any(String), metadata: expect.any(Object) })]));
  for (const t of o.spec.triggers as Obj[]) {
    if (t.type === 'prometheus') {
      for (const key of ['serverAddress', 'query', 'threshold']) expect(typeof t.metadata[key], `prometheus trigger metadata.${key}`).toBe('string');
      expect(Number.isFinite(Number(t.metadata.threshold))).toBe(true);
    }
  }
  for (const key of ['minReplicaCount', 'maxReplicaCount', 'pollingInterval', 'cooldownPeriod']) {
    if (key in o.spec) expect(Number.isInteger(o.spec[key]), `ScaledObject spec.${key}`).toBe(true);
  }
}

/** Options whose value is a file the pod must get from a Secret. */
const FILE_FLAGS = ['--tokens-file', '--token-file', '--tls-cert', '--tls-key', '--tls-ca', '--tls-client-ca'];
/** Secrets the manifests mount but do not contain (made by cert-manager or by hand; see components/tls), and their keys. */
const EXTERNAL_SECRETS: Record<string, string[]> = { 'drover-tls': ['tls.crt', 'tls.key', 'ca.crt'] };

const dirs = kustomizationDirs(k8sDir);
const knownEnv = knownEnvironmentVariables(program, join(root, 'src'));

it('finds the base and the overlays, and every component is used by an overlay', () => {
  expect(dirs.map((d) => relative(k8sDir, d))).toEqual(['base', 'overlays/agent-sumo', 'overlays/hpa', 'overlays/keda', 'overlays/tls', 'overlays/tls-keda']);
  const used = dirs.flatMap((d) => [...readFileSync(join(d, 'kustomization.yaml'), 'utf8').matchAll(/components\/([\w-]+)/g)].map((m) => m[1]));
  expect(new Set(used)).toEqual(new Set(readdirSync(join(k8sDir, 'components'))));
});

describe.each(dirs.map((d) => [relative(k8sDir, d), d]))('kustomization %s', (_name, dir) => {
  let objects: Obj[];
  beforeAll(() => {
    objects = render(dir);
  });
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata?.name === name);

  it('renders objects that are valid against their schemas', async () => {
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) {
      await expect(validateObject(o), `${o.kind}/${o.metadata?.name}`).resolves.toBeUndefined();
    }
  });

  it('runs drover only with commands and options the CLI has', () => {
    const lines = objects.flatMap((o) => droverContainers(o).map((c) => [...(c.command ?? []), ...(c.args ?? [])] as string[]));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const argv of lines) expect(findUnknownOptions(program, argv)).toEqual([]);
  });

  it('sets only environment variables something reads', () => {
    for (const o of objects) {
      for (const c of droverContainers(o)) {
        for (const e of (c.env ?? []) as Obj[]) {
          expect(knownEnv.has(e.name) || PLATFORM_ENV.has(e.name), `${o.metadata.name}: env ${e.name}`).toBe(true);
        }
      }
    }
  });

  it('listens on the ports it declares, and probes, Services and NetworkPolicies use those', () => {
    for (const o of objects) {
      for (const c of droverContainers(o)) {
        const args: string[] = c.args ?? [];
        const declared = new Map<string, number>((c.ports ?? []).map((p: Obj) => [p.name, p.containerPort]));
        const listening = ['--listen', '--http'].map((f) => flagValue(args, f)).filter((v): v is string => v !== undefined).map(portOf);
        // Every declared port is one drover listens on, and every listener is declared.
        expect([...declared.values()].sort(), `${o.metadata.name} ports`).toEqual([...listening].sort());
        for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
          const port = c[probe]?.httpGet?.port;
          if (port === undefined) continue;
          expect(declared.has(port) || [...declared.values()].includes(port), `${o.metadata.name} ${probe} port ${port}`).toBe(true);
          // Health endpoints are served by the --http side.
          expect(typeof port === 'number' ? port : declared.get(port)).toBe(portOf(flagValue(args, '--http')!));
        }
      }
    }
    for (const svc of objects.filter((o) => o.kind === 'Service')) {
      const pods = objects.filter((o) => podSpec(o) && matches(svc.spec.selector, o.spec.template.metadata.labels));
      expect(pods.length, `Service ${svc.metadata.name} selects a workload`).toBeGreaterThan(0);
      for (const p of svc.spec.ports as Obj[]) {
        const names = pods.flatMap((w) => podSpec(w)!.containers.flatMap((c: Obj) => (c.ports ?? []).map((cp: Obj) => cp.name)));
        expect(names, `Service ${svc.metadata.name} targetPort ${p.targetPort}`).toContain(p.targetPort);
      }
    }
    for (const np of objects.filter((o) => o.kind === 'NetworkPolicy')) {
      const pods = objects.filter((o) => podSpec(o) && matches(np.spec.podSelector.matchLabels, o.spec.template.metadata.labels));
      expect(pods.length, `NetworkPolicy ${np.metadata.name} selects a workload`).toBeGreaterThan(0);
      const names = pods.flatMap((w) => podSpec(w)!.containers.flatMap((c: Obj) => (c.ports ?? []).map((cp: Obj) => cp.name)));
      for (const rule of np.spec.ingress as Obj[]) for (const p of rule.ports as Obj[]) expect(names).toContain(p.port);
    }
  });

  it('reads its token and certificate files from mounted Secrets that have that key', () => {
    for (const o of objects) {
      for (const c of droverContainers(o)) {
        for (const flag of FILE_FLAGS) {
          const path = flagValue(c.args ?? [], flag);
          if (path === undefined) continue;
          const mount = (c.volumeMounts as Obj[]).find((m) => path.startsWith(`${m.mountPath}/`));
          expect(mount, `${o.metadata.name}: ${flag} ${path} is under a volume mount`).toBeDefined();
          const volume = (podSpec(o)!.volumes as Obj[]).find((v) => v.name === mount!.name);
          expect(volume?.secret?.secretName, `${o.metadata.name}: ${flag} comes from a Secret`).toEqual(expect.any(String));
          const file = path.slice(mount!.mountPath.length + 1);
          // With `items`, only the listed keys are there, under their paths.
          const item = (volume!.secret.items as Obj[] | undefined)?.find((i) => i.path === file);
          if (volume!.secret.items) expect(item, `${o.metadata.name}: ${file} is among the Secret's items`).toBeDefined();
          const key = item?.key ?? file;
          const secret = find('Secret', volume!.secret.secretName);
          if (secret) expect(Object.keys({ ...secret.data, ...secret.stringData })).toContain(key);
          else expect(EXTERNAL_SECRETS[volume!.secret.secretName], `${volume!.secret.secretName} is in the kustomization or documented as external`).toContain(key);
        }
      }
    }
  });

  it('probes the HTTP side over HTTPS exactly when it serves TLS', () => {
    for (const o of objects) {
      for (const c of droverContainers(o)) {
        const tls = flagValue(c.args ?? [], '--tls-cert') !== undefined && c.args[0] !== 'agent';
        for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
          if (c[probe]) expect(c[probe].httpGet.scheme ?? 'HTTP', `${o.metadata.name} ${probe}`).toBe(tls ? 'HTTPS' : 'HTTP');
        }
      }
    }
  });

  it('keeps the coordinator a one-replica StatefulSet with its --data on the claimed volume', () => {
    const sts = find('StatefulSet', 'drover-coordinator')!;
    expect(sts.spec.replicas).toBe(1);
    const c = droverContainers(sts)[0]!;
    const data = flagValue(c.args, '--data');
    const mount = (c.volumeMounts as Obj[]).find((m) => m.mountPath === data);
    expect(sts.spec.volumeClaimTemplates.map((v: Obj) => v.metadata.name)).toContain(mount?.name);
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
  });

  it('gives agents time to drain and a disruption budget, and runs everything as the image user', () => {
    const agent = find('Deployment', 'drover-agent')!;
    expect(podSpec(agent)!.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(300);
    expect(droverContainers(agent)[0]!.resources.limits.memory).toBeDefined();
    const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget' && matches(o.spec.selector.matchLabels, agent.spec.template.metadata.labels));
    expect(pdb).toBeDefined();
    const imageUser = dockerfileUser();
    for (const o of objects.filter(podSpec)) {
      expect(podSpec(o)!.securityContext.runAsNonRoot).toBe(true);
      expect(String(podSpec(o)!.securityContext.runAsUser)).toBe(imageUser);
    }
  });

  it('scales agents on the queue depth metric, where it autoscales', () => {
    const scalers = objects.filter((o) => o.kind === 'ScaledObject' || o.kind === 'HorizontalPodAutoscaler');
    for (const s of scalers) {
      expect(find(s.spec.scaleTargetRef.kind, s.spec.scaleTargetRef.name), `${s.kind} target`).toBeDefined();
      const metric = s.kind === 'ScaledObject' ? s.spec.triggers[0].metadata.query : s.spec.metrics[0].external.metric.name;
      expect(metric).toContain('drover_tasks_queued');
    }
    // ...a metric the coordinator registers.
    expect(execFileSync('grep', ['-rlF', "'drover_tasks_queued'", join(root, 'src', 'coordinator')], { encoding: 'utf8' })).not.toBe('');
    const overlay = relative(k8sDir, dir);
    const expected: Record<string, string[]> = { 'overlays/keda': ['ScaledObject'], 'overlays/tls-keda': ['ScaledObject'], 'overlays/hpa': ['HorizontalPodAutoscaler'] };
    expect(scalers.map((s) => s.kind)).toEqual(expected[overlay] ?? []);
  });
});

it('the SUMO component runs the drover-sumo image with a label tasks can require', () => {
  const agent = render(join(k8sDir, 'overlays', 'agent-sumo')).find((o) => o.kind === 'Deployment')!;
  const c = droverContainers(agent)[0]!;
  expect(c.image).toMatch(/^drover-sumo(:|$)/);
  expect(flagValue(c.args, '--label')).toBe('pool=sumo');
});

it('the HPA component documents a prometheus-adapter rule that serves the metric its HPA reads', () => {
  const [values] = parseYamlDocuments(readFileSync(join(k8sDir, 'components', 'hpa', 'prometheus-adapter-rules.yaml'), 'utf8')) as Obj[];
  const rule = values!.rules.external.find((r: Obj) => r.name.as === 'drover_tasks_queued');
  expect(rule?.seriesQuery).toContain('drover_tasks_queued');
  const hpa = render(join(k8sDir, 'overlays', 'hpa')).find((o) => o.kind === 'HorizontalPodAutoscaler')!;
  expect(hpa.spec.metrics[0].external.metric.name).toBe(rule.name.as);
});

it('the TLS component serves every coordinator listener with TLS and agents verify it; the example certificate names the Service', () => {
  const objects = render(join(k8sDir, 'overlays', 'tls'));
  const coordinator = droverContainers(objects.find((o) => o.kind === 'StatefulSet')!)[0]!;
  const agent = droverContainers(objects.find((o) => o.kind === 'Deployment')!)[0]!;
  expect(flagValue(coordinator.args, '--tls-cert')).toBe('/etc/drover/tls/tls.crt');
  expect(flagValue(coordinator.args, '--tls-key')).toBe('/etc/drover/tls/tls.key');
  expect(flagValue(agent.args, '--tls-ca')).toBe('/etc/drover/tls/ca.crt');
  const [certificate] = parseYamlDocuments(readFileSync(join(k8sDir, 'components', 'tls', 'certificate.example.yaml'), 'utf8')) as Obj[];
  expect(certificate!.kind).toBe('Certificate');
  expect(certificate!.spec.secretName).toBe('drover-tls');
  expect(certificate!.spec.dnsNames).toContain(flagValue(agent.args, '--coordinator')!.split(':')[0]);
  expect(certificate!.spec.issuerRef.name).toEqual(expect.any(String));
});

it('the kustomization docs/deployment.md tells you to write renders, with your tokens in the Secrets', () => {
  const guide = readFileSync(join(root, 'docs', 'deployment.md'), 'utf8');
  const yaml = guide.match(/```yaml\n(# my-cluster\/kustomization\.yaml\n[\s\S]*?)```/)![1]!;
  const dir = mkdtempSync(join(tmpdir(), 'drover-my-cluster-'));
  try {
    // As the guide lays it out: my-cluster/ next to deploy/ (kustomize takes no absolute paths).
    symlinkSync(join(root, 'deploy'), join(dir, 'deploy'), 'dir');
    const cluster = join(dir, 'my-cluster');
    mkdirSync(cluster);
    writeFileSync(join(cluster, 'kustomization.yaml'), yaml);
    writeFileSync(join(cluster, 'tokens'), 'agent k8s-agents a-secret\nclient alice c-secret\n');
    writeFileSync(join(cluster, 'agent-token'), 'a-secret\n');
    const objects = render(cluster);
    const secret = (name: string) => objects.find((o) => o.kind === 'Secret' && o.metadata.name === name)!;
    expect(Buffer.from(secret('drover-tokens').data.tokens, 'base64').toString()).toContain('client alice c-secret');
    expect(Buffer.from(secret('drover-agent-token').data.token, 'base64').toString()).toBe('a-secret\n');
    // The components it names are applied.
    expect(objects.some((o) => o.kind === 'ScaledObject')).toBe(true);
    expect(flagValue(droverContainers(objects.find((o) => o.kind === 'StatefulSet')!)[0]!.args, '--tls-cert')).toBeDefined();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The Dockerfile's stages: FROM line, then its instructions (continuations joined). */
function dockerfileStages(): { from: string; name: string; lines: string[] }[] {
  const text = readFileSync(join(root, 'deploy', 'docker', 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const stages: { from: string; name: string; lines: string[] }[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    const from = line.match(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i);
    if (from) stages.push({ from: from[1]!, name: from[2] ?? '', lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

function dockerfileUser(): string {
  const user = dockerfileStages().find((s) => s.name === 'drover')!.lines.findLast((l) => l.startsWith('USER '))!;
  return user.slice(5).split(':')[0]!;
}

describe('deploy/docker/Dockerfile', () => {
  const stages = dockerfileStages();
  const text = readFileSync(join(root, 'deploy', 'docker', 'Dockerfile'), 'utf8');
  const stage = (name: string) => stages.find((s) => s.name === name)!;

  it('is multi-stage on a Node 24 slim base, installs production dependencies from the lockfile', () => {
    expect(text).toMatch(/^ARG NODE_IMAGE=node:24-slim$/m);
    expect(stages.map((s) => s.name)).toEqual(['dependencies', 'drover', 'drover-sumo']);
    // From the lockfile, without devDependencies (`npm install`: see the Dockerfile for why not `npm ci` yet).
    expect(stage('dependencies').lines).toContain('COPY package.json package-lock.json ./');
    expect(stage('dependencies').lines.join('\n')).toMatch(/npm (ci|install) --omit=dev/);
    expect(stage('drover').lines).toContain('COPY --from=dependencies /app/node_modules ./node_modules');
    expect(stage('drover-sumo').from).toBe('drover');
  });

  it('runs as an unprivileged user with a health check, and SUMO comes from Debian in the sumo image', () => {
    for (const name of ['drover', 'drover-sumo']) {
      const user = stage(name).lines.findLast((l) => l.startsWith('USER '));
      expect(user, `${name} USER`).toBe('USER 10001:10001');
    }
    expect(stage('drover').lines.some((l) => /^HEALTHCHECK .*CMD .*\/healthz/.test(l))).toBe(true);
    expect(stage('drover-sumo').lines.join('\n')).toMatch(/apt-get install -y --no-install-recommends sumo sumo-tools/);
    expect(stage('drover-sumo').lines).toContain('ENV SUMO_HOME=/usr/share/sumo');
  });

  it('runs drover with commands and options the CLI has, on the ports it exposes', () => {
    const entry = JSON.parse(stage('drover').lines.find((l) => l.startsWith('ENTRYPOINT '))!.slice(11)) as string[];
    expect(entry.slice(-2)).toEqual(['node', '/app/bin/drover.js']);
    const exposed = stage('drover').lines.find((l) => l.startsWith('EXPOSE '))!.slice(7).split(/\s+/).map(Number);
    const health = Number(stage('drover').lines.find((l) => l.startsWith('HEALTHCHECK'))!.match(/127\.0\.0\.1:(\d+)\/healthz/)![1]);
    for (const name of ['drover', 'drover-sumo']) {
      const cmd = JSON.parse(stage(name).lines.find((l) => l.startsWith('CMD '))!.slice(4)) as string[];
      expect(findUnknownOptions(program, cmd), `${name} CMD`).toEqual([]);
      const http = flagValue(cmd, '--http');
      expect(http && portOf(http), `${name} serves /healthz on the port the HEALTHCHECK asks`).toBe(health);
      for (const flag of ['--listen', '--http']) {
        const v = flagValue(cmd, flag);
        if (v !== undefined) expect(exposed).toContain(portOf(v));
      }
    }
  });

  it('copies sources that import only production dependencies (the image has no devDependencies)', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; dependencies: Record<string, string> };
    const packageOf = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
    const offending: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(join(root, dir))) {
        const path = `${dir}/${entry}`;
        if (statSync(join(root, path)).isDirectory()) walk(path);
        else if (/\.(ts|js)$/.test(entry)) {
          const text = readFileSync(join(root, path), 'utf8');
          for (const m of text.matchAll(/(?:\bfrom\s+|^import\s+|\bimport\(\s*)['"]([^'"./][^'"]*)['"]/gm)) {
            const name = packageOf(m[1]!);
            if (m[1]!.startsWith('node:') || name === pkg.name || name in pkg.dependencies) continue;
            offending.push(`${path}: ${m[1]}`);
          }
        }
      }
    };
    for (const dir of ['src', 'bin']) walk(dir);
    expect(offending).toEqual([]);
  });

  it('keeps the build context to what the image copies', () => {
    const ignore = readFileSync(join(root, 'deploy', 'docker', 'Dockerfile.dockerignore'), 'utf8');
    const copied = [...text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    for (const path of copied) {
      expect(existsSync(join(root, path)), `${path} exists`).toBe(true);
      expect(ignore).toContain(`!${path.replace(/\/?$/, statSync(join(root, path)).isDirectory() ? '/' : '')}`);
    }
  });
});
