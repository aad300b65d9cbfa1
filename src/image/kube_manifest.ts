/**
 * A Kubernetes manifest running the exported gateway image: a Deployment (non-root 65532,
 * read-only root, no capabilities, RuntimeDefault seccomp, limits, /healthz probes), its
 * Service, a Secret holding the API token and a PersistentVolumeClaim for its state.
 *
 * @module
 */
import { CONTAINER_PATHS, GATEWAY_PORT, ROOT_MODE_HOST_ID } from "../contract/mod.ts";
import { imageGatewayArgs } from "./oci_image.ts";

/** The mode of the mounted token file: readable by the gateway's group (fsGroup) only. */
export const TOKEN_FILE_MODE = 0o440;

/** Where the API token comes from: a value written into the manifest, or a Secret that exists. */
export type KubeToken = { value: string } | { secret: string };

/** What the manifest is made from. */
export interface KubeOptions {
  name: string;
  image: string;
  version: string;
  token: KubeToken;
}

/**
 * Checks a token for the manifest's Secret: letters and digits only, 32 to 512 of them, a
 * multiple of 4 long (so the same text is valid base64, see {@linkcode kubeManifest}).
 *
 * @throws {RangeError} naming what is wrong.
 */
export function checkKubeToken(token: string): string {
  if (!/^[A-Za-z0-9]{32,512}$/.test(token) || token.length % 4 !== 0) {
    throw new RangeError(
      "invalid token: expected 32 to 512 letters and digits, a multiple of 4 long (openssl rand -hex 32 makes one)",
    );
  }
  return token;
}

/**
 * The manifest's objects, in apply order: plain data (no object appears twice), the same for
 * the same options. With `{ secret }`, no Secret object: the Deployment mounts that one.
 */
export function kubeManifest(options: KubeOptions): Record<string, unknown>[] {
  const labels = () => ({
    "app.kubernetes.io/name": "openshell-gateway",
    "app.kubernetes.io/instance": options.name,
  });
  const meta = (name: string) => ({ name, labels: labels() });
  const probe = (period: number) => ({
    httpGet: { path: "/healthz", port: "http" },
    periodSeconds: period,
    timeoutSeconds: 2,
  });
  const secret = "secret" in options.token ? options.token.secret : `${options.name}-token`;
  const state = `${options.name}-state`;
  const tmp = `${options.name}-tmp`;
  const objects = [
    "value" in options.token
      ? {
        apiVersion: "v1",
        kind: "Secret",
        metadata: meta(secret),
        type: "Opaque",
        // Kubernetes (and podman from 4.4) mount `stringData`, which wins over `data`;
        // podman 4.3 mounts `data` as it is written, undecoded. The token is valid base64
        // text (checkKubeToken), so both fields hold it and every one mounts the token itself.
        data: { token: checkKubeToken(options.token.value) },
        stringData: { token: options.token.value },
      }
      : undefined,
    {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: meta(state),
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: meta(options.name),
      spec: {
        replicas: 1,
        // One writer of the state volume at a time.
        strategy: { type: "Recreate" },
        selector: { matchLabels: labels() },
        template: {
          metadata: { labels: labels() },
          spec: {
            automountServiceAccountToken: false,
            securityContext: {
              runAsUser: ROOT_MODE_HOST_ID,
              runAsGroup: ROOT_MODE_HOST_ID,
              runAsNonRoot: true,
              fsGroup: ROOT_MODE_HOST_ID,
              seccompProfile: { type: "RuntimeDefault" },
            },
            containers: [{
              name: "gateway",
              image: options.image,
              imagePullPolicy: "IfNotPresent",
              args: imageGatewayArgs(options.name, options.version),
              ports: [{ name: "http", containerPort: GATEWAY_PORT, protocol: "TCP" }],
              securityContext: {
                runAsUser: ROOT_MODE_HOST_ID,
                runAsNonRoot: true,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
                seccompProfile: { type: "RuntimeDefault" },
              },
              resources: {
                requests: { cpu: "100m", memory: "128Mi" },
                limits: { cpu: "1", memory: "512Mi" },
              },
              livenessProbe: probe(10),
              readinessProbe: probe(5),
              volumeMounts: [
                { name: "state", mountPath: CONTAINER_PATHS.state },
                { name: "token", mountPath: CONTAINER_PATHS.secrets, readOnly: true },
                { name: tmp, mountPath: "/tmp" },
              ],
            }],
            volumes: [
              { name: "state", persistentVolumeClaim: { claimName: state } },
              // `optional` spelled out: podman 4.3's kube play crashes when it is absent.
              {
                name: "token",
                secret: { secretName: secret, defaultMode: TOKEN_FILE_MODE, optional: false },
              },
              // Named after the gateway: podman kube play keeps a volume of this name.
              { name: tmp, emptyDir: { medium: "Memory", sizeLimit: "256Mi" } },
            ],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta(options.name),
      spec: {
        selector: labels(),
        ports: [{ name: "http", port: GATEWAY_PORT, targetPort: "http", protocol: "TCP" }],
      },
    },
  ];
  return objects.filter((object) => object !== undefined);
}
