/**
 * What the `openshell bundle` commands do: inspect, unpack, verify, gc, export and kube.
 *
 * @module
 */
import { resolve } from "../path/mod.ts";
import {
  checkKubeToken,
  ensureRootfs,
  exportImage,
  gcProgramCopies,
  gcRootfs,
  inspectRootfs,
  kubeManifest,
  type KubeToken,
  programCacheDir,
  programDigests,
  type RootfsCacheOptions,
  runningProgram,
  TOKEN_FILE_MODE,
  verifyImage,
  withTag,
} from "../image/mod.ts";
import { CONTAINER_PATHS } from "../contract/mod.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { programCommand, UserError } from "../errors/mod.ts";
import { effectiveUid, processEnv, runtimeDirChoice, sourceDir } from "../host/mod.ts";
import { removeDeadDenoDirTemplates } from "../container/mod.ts";
import type { CommandInput } from "./_command_spec.ts";
import { printData, printMessage } from "./_output.ts";
import { renderData, type ReportFormat } from "./_output.ts";
import { yamlText } from "./_yaml_text.ts";

function cacheOptions(): RootfsCacheOptions {
  return { env: processEnv, uid: effectiveUid(), onProgress: printMessage };
}

/** `bundle inspect`. */
export async function inspectBundle(input: CommandInput): Promise<void> {
  const output = input.options.output as ReportFormat;
  const info = await inspectRootfs(cacheOptions());
  if (output !== "text") return printData(await renderData(output, info));
  printData([
    `digest:     ${info.digest}`,
    `size:       ${info.size} bytes (${info.contentSize} unpacked)`,
    `files:      ${info.files}`,
    `image:      ${info.tarball}`,
    `cache path: ${info.cachePath}`,
    `unpacked:   ${info.unpacked ? "yes" : "no"}`,
  ].join("\n"));
}

/** `bundle unpack`. */
export async function unpackBundle(input: CommandInput): Promise<void> {
  const output = input.options.output as ReportFormat;
  const entry = await ensureRootfs(cacheOptions());
  printData(output === "text" ? entry.path : await renderData(output, entry));
}

/** `bundle verify`. */
export async function verifyBundle(input: CommandInput): Promise<void> {
  const { entrypoint, rootfs, output } = input.options as {
    entrypoint?: string;
    rootfs?: string;
    output: ReportFormat;
  };
  const program = resolve(entrypoint ?? Deno.execPath());
  await requireFile(program, "--entrypoint");
  const root = rootfs === undefined ? (await ensureRootfs(cacheOptions())).path : resolve(rootfs);
  if (rootfs !== undefined) await requireDirectory(root);
  const report = await verifyImage(root, program);
  if (output !== "text") {
    printData(await renderData(output, { rootfs: root, entrypoint: program, ...report }));
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
}

/** `bundle gc`. */
export async function collectBundleGarbage(input: CommandInput): Promise<void> {
  const output = input.options.output as ReportFormat;
  const all = input.options.all === true;
  const programs = programCacheDir(processEnv, effectiveUid());
  const running = Object.values(runningProgram());
  const removed = [
    ...(await gcRootfs({ ...cacheOptions(), all })),
    ...(await gcProgramCopies(
      programs,
      async () => all ? [] : await programDigests(running, programs),
    )),
    ...(await removeDeadDenoDirTemplates(runtimeDirChoice(processEnv, effectiveUid()).path)),
  ];
  if (output !== "text") return printData(await renderData(output, { removed }));
  for (const path of removed) printData(path);
  printMessage(`Removed ${removed.length} cache entr${removed.length === 1 ? "y" : "ies"}`);
}

/** `bundle export <target>`. */
export async function exportBundle(input: CommandInput): Promise<void> {
  const target = input.args.target as string;
  const { format, tag, output } = input.options as {
    format: "oci" | "docker-archive";
    tag: string;
    output: ReportFormat;
  };
  const source = sourceDir();
  const result = await exportImage({
    format,
    target: resolve(target),
    tag: usage(() => withTag(tag), "--tag"),
    env: processEnv,
    binary: Deno.execPath(),
    ...(source === undefined ? {} : { sourceDir: source }),
  });
  if (output !== "text") return printData(await renderData(output, result));
  printData(result.manifestDigest);
  printMessage(`Wrote ${result.tag} as ${format} to "${result.target}"`);
}

/** `bundle kube`. */
export async function kubeManifestCommand(input: CommandInput): Promise<void> {
  const { name, image } = input.options as { name: string; image: string };
  if (!DNS_LABEL.test(name)) {
    throw new UserError(`invalid name "${name}": expected a DNS label (a-z, 0-9, -)`, {
      exitCode: 2,
    });
  }
  const objects = kubeManifest({
    name,
    image,
    version: denoJson.version,
    token: await kubeToken(input.options),
  });
  // Modes in octal, as Kubernetes documents them (a YAML 1.1 octal: what its readers take).
  const octal = `0${TOKEN_FILE_MODE.toString(8)}`;
  const text = objects.map((o) => yamlText(o).trimEnd()).join("\n---\n")
    .replace(new RegExp(`^( *defaultMode: )${TOKEN_FILE_MODE}$`, "gm"), `$1${octal}`);
  printData(text);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/;

/** Where `bundle kube` takes the token from: exactly one of its three options. */
async function kubeToken(options: CommandInput["options"]): Promise<KubeToken> {
  const { tokenFile, secret, generateToken } = options as {
    tokenFile?: string;
    secret?: string;
    generateToken?: boolean;
  };
  const given = [tokenFile, secret, generateToken].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new UserError(
      given === 0
        ? "bundle kube needs the API token: --token-file FILE, --secret NAME or --generate-token"
        : "--token-file, --secret and --generate-token exclude each other",
      {
        hint: `openssl rand -hex 32 >token && ${
          programCommand("bundle", "kube", "--token-file", "token")
        }`,
        exitCode: 2,
      },
    );
  }
  if (secret !== undefined) {
    if (!DNS_LABEL.test(secret)) {
      throw new UserError(`invalid --secret "${secret}": expected a DNS label (a-z, 0-9, -)`, {
        exitCode: 2,
      });
    }
    return { secret };
  }
  if (tokenFile === undefined) {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    return { value: Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("") };
  }
  let text: string;
  try {
    text = await Deno.readTextFile(tokenFile);
  } catch (error) {
    throw new UserError(`Cannot read --token-file "${tokenFile}": ${(error as Error).message}`);
  }
  return { value: usage(() => checkKubeToken(text.trim()), `--token-file "${tokenFile}"`) };
}

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
