/**
 * The packaged gateway as an OCI image, as pure functions of its layers: the image config
 * (user 65532, the gateway as entrypoint, its port, its state volume), the manifest, the
 * OCI layout's index and a docker-archive's manifest. The one timestamp is the source date
 * given (`SOURCE_DATE_EPOCH`): the same layers and date always give the same digests.
 *
 * @module
 */
import {
  CONTAINER_ENV,
  CONTAINER_PATHS,
  GATEWAY_PORT,
  ROOT_MODE_HOST_ID,
} from "../contract/mod.ts";
import { gatewayArgs, gatewayDenoFlags } from "../contract/mod.ts";

/** The name the image's gateway reports unless its arguments say otherwise. */
export const IMAGE_GATEWAY_NAME = "openshell";
/** The default `NAME:TAG` of an exported image. */
export const DEFAULT_IMAGE_TAG = "localhost/openshell-gateway:latest";

export const MEDIA_TYPES = {
  manifest: "application/vnd.oci.image.manifest.v1+json",
  index: "application/vnd.oci.image.index.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  layerTar: "application/vnd.oci.image.layer.v1.tar",
} as const;

/** A content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** One layer: its blob descriptor and the digest of its uncompressed tar. */
export interface Layer {
  blob: Descriptor;
  diffId: string;
}

/** How the gateway is started inside the image. */
export interface ImageProgram {
  /** `compiled`: the binary's `__gateway` verb; `source`: deno running the source tree. */
  kind: "compiled" | "source";
  version: string;
}

const IMAGE_PATHS = { stateDir: CONTAINER_PATHS.state, tokenFile: CONTAINER_PATHS.tokenFile };

/** The gateway's own arguments in the image: its port on every address of the pod or container. */
export function imageGatewayArgs(name: string, version: string): string[] {
  return gatewayArgs({ name, listen: `0.0.0.0:${GATEWAY_PORT}`, version, ...IMAGE_PATHS });
}

/** The gateway's argv inside the image: entrypoint (how to run) and cmd (what to serve). */
export function imageCommand(program: ImageProgram): { entrypoint: string[]; cmd: string[] } {
  const cmd = imageGatewayArgs(IMAGE_GATEWAY_NAME, program.version);
  // Deno's net permission names the host only, so a --listen port given at run time works.
  const entrypoint = program.kind === "compiled" ? [CONTAINER_PATHS.binary, "__gateway"] : [
    CONTAINER_PATHS.binary,
    "run",
    ...gatewayDenoFlags("0.0.0.0", IMAGE_PATHS, CONTAINER_PATHS.source),
    CONTAINER_PATHS.serverEntry,
  ];
  return { entrypoint, cmd };
}

/**
 * The image's creation time from `SOURCE_DATE_EPOCH` (whole seconds since the epoch), the
 * epoch itself when unset: an RFC 3339 time, as image configs record it.
 *
 * @throws {RangeError} when it is set to anything but whole seconds.
 */
export function sourceDate(epoch: string | undefined): string {
  if (epoch !== undefined && !/^[0-9]{1,12}$/.test(epoch)) {
    throw new RangeError(`invalid SOURCE_DATE_EPOCH "${epoch}": expected whole seconds`);
  }
  return new Date(Number(epoch ?? 0) * 1000).toISOString().replace(".000Z", "Z");
}

/** The OCI image config, created at `created` (see {@linkcode sourceDate}). */
export function imageConfig(
  program: ImageProgram,
  layers: Layer[],
  arch: string,
  created: string,
) {
  const { entrypoint, cmd } = imageCommand(program);
  return {
    created,
    architecture: arch === "aarch64" ? "arm64" : "amd64",
    os: "linux",
    config: {
      User: `${ROOT_MODE_HOST_ID}:${ROOT_MODE_HOST_ID}`,
      Entrypoint: entrypoint,
      Cmd: cmd,
      Env: [...CONTAINER_ENV],
      WorkingDir: "/",
      ExposedPorts: { [`${GATEWAY_PORT}/tcp`]: {} },
      Volumes: { [CONTAINER_PATHS.state]: {} },
      Labels: {
        "org.opencontainers.image.title": "openshell gateway",
        "org.opencontainers.image.version": program.version,
      },
    },
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({
      created,
      created_by: i === 0 ? "openshell: the gateway rootfs" : "openshell: the program",
    })),
  };
}

/** The image manifest for a config blob and layers. */
export function imageManifest(config: Descriptor, layers: Layer[]) {
  return {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config,
    layers: layers.map((l) => l.blob),
  };
}

/**
 * The OCI layout's `index.json`, naming the manifest by its whole `NAME:TAG` reference, as
 * podman and skopeo write and read it (`oci:DIR:NAME:TAG`); containerd's name annotation too.
 */
export function layoutIndex(manifest: Descriptor, reference: string) {
  const name = withTag(reference);
  return {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.index,
    manifests: [{
      ...manifest,
      annotations: {
        "io.containerd.image.name": name,
        "org.opencontainers.image.ref.name": name,
      },
    }],
  };
}

/** A docker-archive's `manifest.json`: config and layers by their blob paths. */
export function dockerArchiveManifest(config: Descriptor, layers: Layer[], tag: string) {
  return [{
    Config: blobPath(config.digest),
    RepoTags: [withTag(tag)],
    Layers: layers.map((l) => blobPath(l.blob.digest)),
  }];
}

/** Where a blob lives in a layout or archive. */
export function blobPath(digest: string): string {
  return `blobs/${digest.replace(":", "/")}`;
}

/**
 * Checks a `NAME[:TAG]` reference; the tag defaults to `latest`.
 *
 * @throws {RangeError} when it is not a valid reference.
 */
export function withTag(reference: string): string {
  const valid =
    /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/;
  if (!valid.test(reference)) {
    throw new RangeError(`invalid image name "${reference}": expected NAME[:TAG]`);
  }
  const lastSlash = reference.lastIndexOf("/");
  return reference.slice(lastSlash + 1).includes(":") ? reference : `${reference}:latest`;
}
