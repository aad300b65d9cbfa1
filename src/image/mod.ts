/**
 * The packaged gateway as an OCI image (an image layout or a docker-archive) and the
 * Kubernetes manifest that runs it.
 *
 * @module
 */
export { exportImage, type ExportOptions, type ExportResult } from "./export_image.ts";
export { kubeManifest, type KubeOptions } from "./kube_manifest.ts";
export { DEFAULT_IMAGE_TAG, IMAGE_GATEWAY_NAME, withTag } from "./oci_image.ts";
