/**
 * A Kubernetes manifest running the exported gateway image: a Deployment (non-root 65532,
 * read-only root, no capabilities, RuntimeDefault seccomp, limits, /healthz probes), its
 * Service, a Secret holding the API token and a PersistentVolumeClaim for its state.
 *
 * @module
 */
import { CONTAINER_PATHS, GATEWAY_PORT, ROOT_MODE_HOST_ID } from "../contract/mod.ts";
import { imageGatewayArgs } from "./oci_image.ts";

/** What the manifest is made from. */
export interface KubeOptions {
  name: string;
  image: string;
  version: string;
  /** The API token stored in the Secret. */
  token: string;
}

/** The manifest's objects, in apply order. */
export function kubeManifest(options: KubeOptions): Record<string, unknown>[] {
  const labels = {
    "app.kubernetes.io/name": "openshell-gateway",
    "app.kubernetes.io/instance": options.name,
  };
  const meta = (name: string) => ({ name, labels });
  const probe = (period: number) => ({
    httpGet: { path: "/healthz", port: "http" },
    periodSeconds: period,
    timeoutSeconds: 2,
  });
  const secret = `${options.name}-token`;
  const state = `${options.name}-state`;
  return [
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: meta(secret),
      type: "Opaque",
      // `data` rather than `stringData`: podman kube play reads only the former.
      data: { token: btoa(options.token) },
    },
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
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
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
                { name: "tmp", mountPath: "/tmp" },
              ],
            }],
            volumes: [
              { name: "state", persistentVolumeClaim: { claimName: state } },
              // `optional` spelled out: podman 4.3's kube play crashes when it is absent.
              {
                name: "token",
                secret: { secretName: secret, defaultMode: 0o440, optional: false },
              },
              { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "256Mi" } },
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
        selector: labels,
        ports: [{ name: "http", port: GATEWAY_PORT, targetPort: "http", protocol: "TCP" }],
      },
    },
  ];
}
