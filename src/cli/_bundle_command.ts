import { Command, Option } from "@commander-js/extra-typings";
import { resolve } from "node:path";
import type { RootfsCacheOptions } from "../image/mod.ts";
import { CONTAINER_PATHS } from "../container/mod.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { DEFAULT_IMAGE_TAG, IMAGE_GATEWAY_NAME } from "../image/mod.ts";
import { UserError } from "../errors/mod.ts";
import { effectiveUid, processEnv } from "../host/mod.ts";
import { printData, printMessage } from "./output.ts";

const outputOption = () =>
  new Option("-o, --output <format>", "output format").choices(["text", "json"] as const)
    .default("text" as const);

// The bundle code (tar, zlib, crypto) is loaded by the subcommand that runs, not by the CLI.
const bundleModule = () => import("../image/mod.ts");

function cacheOptions(): RootfsCacheOptions {
  return { env: processEnv, uid: effectiveUid(), onProgress: printMessage };
}

/** The `openshell bundle` command. */
export function bundleCommand() {
  const bundle = new Command("bundle")
    .description("Inspect and manage the embedded gateway rootfs");

  bundle.command("inspect")
    .description("Show the embedded rootfs image: digest, size, files, cache path")
    .addOption(outputOption())
    .action(async ({ output }) => {
      const { inspectRootfs } = await bundleModule();
      const info = await inspectRootfs(cacheOptions());
      if (output === "json") return printData(JSON.stringify(info, null, 2));
      printData([
        `digest:     ${info.digest}`,
        `size:       ${info.size} bytes (${info.contentSize} unpacked)`,
        `files:      ${info.files}`,
        `image:      ${info.tarball}`,
        `cache path: ${info.cachePath}`,
        `unpacked:   ${info.unpacked ? "yes" : "no"}`,
      ].join("\n"));
    });

  bundle.command("unpack")
    .description("Unpack the embedded rootfs into the cache (once per digest); print its path")
    .addOption(outputOption())
    .action(async ({ output }) => {
      const { ensureRootfs } = await bundleModule();
      const entry = await ensureRootfs(cacheOptions());
      printData(output === "json" ? JSON.stringify(entry, null, 2) : entry.path);
    });

  bundle.command("verify")
    .description(
      "Check that the program and every ELF file in the rootfs resolve their interpreter " +
        "and libraries inside it",
    )
    .option(
      "--entrypoint <file>",
      `the program mounted at ${CONTAINER_PATHS.binary} (default: this program's executable)`,
    )
    .option("--rootfs <dir>", "an unpacked rootfs to check (default: the cached embedded one)")
    .addOption(outputOption())
    .action(async ({ entrypoint, rootfs, output }) => {
      const { ensureRootfs, verifyImage } = await bundleModule();
      const program = resolve(entrypoint ?? Deno.execPath());
      await requireFile(program, "--entrypoint");
      const root = rootfs === undefined
        ? (await ensureRootfs(cacheOptions())).path
        : resolve(rootfs);
      if (rootfs !== undefined) await requireDirectory(root);
      const report = await verifyImage(root, program);
      if (output === "json") {
        printData(JSON.stringify({ rootfs: root, entrypoint: program, ...report }, null, 2));
      } else {
        const lines = report.checked.map((path) =>
          path === CONTAINER_PATHS.binary ? `checked ${path} (${program})` : `checked ${path}`
        );
        lines.push(...report.missing.map((missing) => `missing ${missing}`));
        printData(lines.join("\n"));
      }
      if (!report.ok) {
        throw new UserError(
          `The rootfs "${root}" is missing ${report.missing.length} part(s) of the program's closure`,
          { hint: "Rebuild the image with `deno task build:rootfs` on a host like the target" },
        );
      }
      if (output === "text") printMessage(`The closure of "${program}" resolves inside "${root}"`);
    });

  bundle.command("gc")
    .description(
      "Remove cached rootfs entries and program copies of other images and programs, and leftovers of interrupted unpacks",
    )
    .option("--all", "remove every cache entry, this program's too")
    .addOption(outputOption())
    .action(async ({ output, all = false }) => {
      const { gcProgramCopies, gcRootfs, programCacheDir, programDigests, runningProgram } =
        await bundleModule();
      const programs = programCacheDir(processEnv, effectiveUid());
      const running = Object.values(runningProgram());
      const removed = [
        ...(await gcRootfs({ ...cacheOptions(), all })),
        ...(await gcProgramCopies(
          programs,
          async () => all ? [] : await programDigests(running, programs),
        )),
      ];
      if (output === "json") return printData(JSON.stringify({ removed }, null, 2));
      for (const path of removed) printData(path);
      printMessage(`Removed ${removed.length} cache entr${removed.length === 1 ? "y" : "ies"}`);
    });

  bundle.command("export")
    .description("Write the packaged gateway as an OCI image (a layout dir or a docker-archive)")
    .addOption(
      new Option("--format <format>", "oci (an image layout DIR) or docker-archive (a FILE)")
        .choices(["oci", "docker-archive"] as const).makeOptionMandatory(),
    )
    .argument("<target>", "the layout directory or archive file to create (must not exist)")
    .option("--tag <name:tag>", "the image name", DEFAULT_IMAGE_TAG)
    .addOption(outputOption())
    .action(async (target, { format, tag, output }) => {
      const { exportImage, withTag } = await imageModule();
      const result = await exportImage({
        format,
        target: resolve(target),
        tag: usage(() => withTag(tag), "--tag"),
        env: processEnv,
        binary: Deno.execPath(),
        ...(Deno.build.standalone ? {} : { sourceDir: resolve(import.meta.dirname!, "..") }),
      });
      if (output === "json") return printData(JSON.stringify(result, null, 2));
      printData(result.manifestDigest);
      printMessage(`Wrote ${result.tag} as ${format} to "${result.target}"`);
    });

  bundle.command("kube")
    .description("Print a Kubernetes manifest running the exported gateway image")
    .option("--name <name>", "the Deployment, Service and gateway name", IMAGE_GATEWAY_NAME)
    .option("--image <ref>", "the image to run", DEFAULT_IMAGE_TAG)
    .action(async ({ name, image }) => {
      const { kubeManifest } = await imageModule();
      const { stringify } = await import("yaml");
      if (!/^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/.test(name)) {
        throw new UserError(`invalid name "${name}": expected a DNS label (a-z, 0-9, -)`, {
          exitCode: 2,
        });
      }
      const bytes = crypto.getRandomValues(new Uint8Array(32));
      const token = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      const objects = kubeManifest({ name, image, version: denoJson.version, token });
      printData(objects.map((o) => stringify(o).trimEnd()).join("\n---\n"));
    });

  return bundle;
}

const imageModule = () => import("../image/mod.ts");

/** Runs `parse`, turning its RangeError into a usage error naming `flag`. */
function usage<T>(parse: () => T, flag: string): T {
  try {
    return parse();
  } catch (error) {
    throw new UserError(`${(error as Error).message} for ${flag}`, { exitCode: 2 });
  }
}

async function requireFile(path: string, flag: string): Promise<void> {
  const info = await Deno.stat(path).catch(() => undefined);
  if (!info?.isFile) {
    throw new UserError(`Cannot read ${flag} "${path}": not a file`, { exitCode: 2 });
  }
}

async function requireDirectory(path: string): Promise<void> {
  const info = await Deno.stat(path).catch(() => undefined);
  if (!info?.isDirectory) {
    throw new UserError(`Cannot read --rootfs "${path}": not a directory`, { exitCode: 2 });
  }
}
