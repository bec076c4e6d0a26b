// What webhooks and in-cluster clients need from a cluster, on the local one (kube-proxy in iptables
// mode) or TEST_KUBECONFIG's: Services reach pods from pods and from the host network, pods reach the
// API server through the `kubernetes` Service with their token, and the API server calls a validating
// webhook served by a pod behind a Service and enforces its answer. The pods run cluster-probe
// (integration/fixtures/cluster-probe), built here and pushed to the cluster registry.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageLayout, installFile } from '../hack/lib/oci-layout.ts';
import { waitUntil } from '../hack/lib/process.ts';
import { skopeo, skopeoRegistryFlags } from '../hack/lib/skopeo.ts';
import { createCertificate, createCertificateAuthority } from '../hack/lib/tls.ts';
import { useCluster, useClusterRegistry, type TestCluster } from './harness/cluster.ts';
import { scratchDir } from './harness/index.ts';

const cluster = useCluster();
const registry = useClusterRegistry();

let probe: Promise<string> | undefined;
/** cluster-probe, built for linux/amd64 and pushed to the cluster registry once; its reference. */
const probeImage = () => (probe ??= pushProbeImage());

async function pushProbeImage(): Promise<string> {
  const dir = scratchDir('probe');
  execFileSync('go', ['build', '-trimpath', '-o', join(dir, 'cluster-probe'), '.'], {
    cwd: 'integration/fixtures/cluster-probe',
    env: { ...process.env, GOOS: 'linux', GOARCH: 'amd64', CGO_ENABLED: '0', GOFLAGS: '' },
  });
  const binary = join(dir, 'cluster-probe');
  const hash = createHash('sha256').update(readFileSync(binary)).digest('hex').slice(0, 12);
  const layout = imageLayout({ name: `cluster-probe-${hash}`, tag: 'probe', entrypoint: ['/cluster-probe'], populate: (rootfs) => installFile(rootfs, binary, '/cluster-probe') });
  const reference = `${registry().host}/fixtures/cluster-probe:${hash}`;
  await skopeo(['copy', '--quiet', ...skopeoRegistryFlags(registry().registry, registry().files, 'dest'), `oci:${layout}:probe`, `docker://${reference}`]);
  return reference;
}

/** Creates the objects (JSON is YAML) in the file's namespace. */
async function apply(target: TestCluster, ...objects: object[]): Promise<void> {
  await target.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
}

/** A Pod of one container; runs to completion unless `spec` says otherwise. */
function pod(name: string, image: string, container: object, spec: object = {}, labels: Record<string, string> = {}): object {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels },
    spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, ...spec, containers: [{ name: 'main', image, imagePullPolicy: 'IfNotPresent', ...container }] },
  };
}

/** A server Pod and a Service in front of it. */
function served(name: string, image: string, container: object, port: number, targetPort: number, spec: object = {}): object[] {
  const labels = { app: name };
  return [
    pod(name, image, container, { restartPolicy: 'Always', ...spec }, labels),
    { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: labels, ports: [{ port, targetPort }] } },
  ];
}

/** Waits for a run-to-completion pod and returns what it printed; its log is in the error when it fails. */
async function output(target: TestCluster, name: string): Promise<string> {
  const phase = await waitUntil(
    async () => {
      const current = await target.kubectl(['get', 'pod', name, '-o', 'jsonpath={.status.phase}']);
      return current === 'Succeeded' || current === 'Failed' ? current : undefined;
    },
    { what: `the pod ${name} to finish`, timeoutMs: 90_000, intervalMs: 500 },
  );
  const log = await target.kubectl(['logs', name]);
  if (phase !== 'Succeeded') throw new Error(`the pod ${name} failed:\n${log}`);
  return log;
}

async function clusterIp(target: TestCluster, name: string): Promise<string> {
  return (await target.kubectl(['get', 'service', name, '-o', 'jsonpath={.spec.clusterIP}'])).trim();
}

describe('Services, the in-cluster API address and admission webhooks', () => {
  it('reaches a pod through its Service ClusterIP from another pod and from the host network', async () => {
    const busybox = registry().baseImage;
    await apply(cluster(), ...served('web', busybox, { command: ['sh', '-c', 'mkdir -p /srv && echo served through a Service > /srv/index.html && exec httpd -f -p 8080 -h /srv'] }, 80, 8080));
    await cluster().kubectl(['wait', 'pod/web', '--for=condition=Ready', '--timeout=90s']);
    const ip = await clusterIp(cluster(), 'web');

    // kube-proxy writes a new Service's rules within a second or so; until then the address leads
    // nowhere (or out of the default route), so the client asks again until the page comes.
    const fetchLoop = `for i in $(seq 1 30); do page=$(wget -q -O - http://${ip}/) && [ "$page" = 'served through a Service' ] && echo "$page" && exit 0; sleep 0.5; done; exit 1`;
    await apply(cluster(), pod('web-client', busybox, { command: ['sh', '-c', fetchLoop] }));
    expect(await output(cluster(), 'web-client')).toBe('served through a Service\n');
    if (cluster().local) {
      // The API server calls webhooks this way: by ClusterIP, from the host's network.
      const response = await fetch(`http://${ip}/`, { signal: AbortSignal.timeout(10_000) });
      expect(await response.text()).toBe('served through a Service\n');
    }
  });

  it('lets a pod read from the API server through the kubernetes Service with its service account token', async () => {
    const { namespace } = cluster();
    await cluster().kubectl(['create', 'serviceaccount', 'reader']);
    await cluster().kubectl(['create', 'role', 'configmap-reader', '--verb=get', '--resource=configmaps', '--resource-name=greeting']);
    await cluster().kubectl(['create', 'rolebinding', 'reader', '--role=configmap-reader', `--serviceaccount=${namespace}:reader`]);
    await cluster().kubectl(['create', 'configmap', 'greeting', '--from-literal=text=read through the kubernetes Service']);
    await apply(cluster(), pod('api-client', await probeImage(), { args: ['get', `/api/v1/namespaces/${namespace}/configmaps/greeting`] }, { serviceAccountName: 'reader' }));
    const body = JSON.parse(await output(cluster(), 'api-client'));
    expect(body.data).toEqual({ text: 'read through the kubernetes Service' });
  });

  it('has the API server call a validating webhook served by a pod behind a Service, and enforces its answer', async () => {
    const { namespace } = cluster();
    const dir = scratchDir('webhook-tls');
    const ca = createCertificateAuthority(dir, 'cluster-probe webhook CA');
    const name = `probe.${namespace}.svc`;
    const cert = createCertificate(ca, dir, 'webhook', `/CN=${name}`, `subjectAltName=DNS:${name}\nextendedKeyUsage=serverAuth\n`);
    await cluster().kubectl(['create', 'secret', 'tls', 'probe-tls', `--cert=${cert.certFile}`, `--key=${cert.keyFile}`]);
    const container = { args: ['webhook', '/tls/tls.crt', '/tls/tls.key'], volumeMounts: [{ name: 'tls', mountPath: '/tls' }], readinessProbe: { tcpSocket: { port: 8443 }, periodSeconds: 1 } };
    await apply(cluster(), ...served('probe', await probeImage(), container, 443, 8443, { volumes: [{ name: 'tls', secret: { secretName: 'probe-tls' } }] }));
    await cluster().kubectl(['wait', 'pod/probe', '--for=condition=Ready', '--timeout=90s']);

    // Cluster-scoped: only this file's namespace is sent to it, and it goes when the test ends.
    const configuration = `kb-test-${namespace}`;
    await cluster().kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: configuration },
      webhooks: [{
        name: 'configmaps.cluster-probe.kubectl-build.dev',
        clientConfig: { service: { namespace, name: 'probe', path: '/validate', port: 443 }, caBundle: readFileSync(ca.certFile).toString('base64') },
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['configmaps'] }],
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
        failurePolicy: 'Fail',
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        timeoutSeconds: 10,
      }],
    }));
    try {
      // The API server takes a moment to see a new webhook configuration, and kube-proxy to route the
      // new Service: until the refusal comes, each allowed attempt is removed again.
      let refusal = '';
      for (let attempt = 0; attempt < 40 && !refusal.includes('denied the request'); attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 500));
        refusal = await cluster().kubectl(['create', 'configmap', 'bad', '--from-literal=forbidden=1']).then(
          async () => {
            await cluster().kubectl(['delete', 'configmap', 'bad']);
            return '';
          },
          (error: Error) => error.message,
        );
      }
      expect(refusal).toContain('admission webhook "configmaps.cluster-probe.kubectl-build.dev" denied the request: cluster-probe refuses the ConfigMap "bad": it holds the key "forbidden"');
      await expect(cluster().kubectl(['get', 'configmap', 'bad'])).rejects.toThrow(/NotFound|not found/);
      // Allowed objects pass through the same webhook.
      await cluster().kubectl(['create', 'configmap', 'good', '--from-literal=fine=1']);
      expect(await cluster().kubectl(['get', 'configmap', 'good', '-o', 'jsonpath={.data.fine}'])).toBe('1');
    } finally {
      await cluster().kubectl(['delete', 'validatingwebhookconfiguration', configuration]);
    }
  });
});
