/**
 * What `gateway add <endpoint>` does. Its command line is declared in `_command_tree.ts`.
 *
 * @module
 */
import type { RegistryRoots } from "../registry/mod.ts";
import type { MtlsFiles } from "../register/mod.ts";
import {
  gatewayAuth,
  gatewayMtlsDir,
  mtlsFilePaths,
  readGatewayMetadata,
  validateGatewayName,
} from "../registry/mod.ts";
import { addUserGateway, planGatewayAdd } from "../register/mod.ts";
import { allFilesPresent, packageTlsDir, packageTlsFiles } from "../client/mod.ts";
import { processEnv } from "../host/mod.ts";
import { fileError, fillIn, programCommand, UserError } from "../errors/mod.ts";
import { readRegularTextFile, REGISTRY_FILE_MAX_BYTES } from "../bounded_read/mod.ts";
import type { CommandInput } from "./_command_spec.ts";
import { cliRoots, nameArgument, warnEnvOverride } from "./_gateway_context.ts";
import { printMessage, printWarning } from "./_output.ts";
import { refuseWhileServed } from "./_served_here.ts";

/** `gateway add <endpoint>`. */
export async function gatewayAdd(input: CommandInput): Promise<void> {
  const endpoint = input.args.endpoint as string;
  const options = input.options as {
    name?: string;
    local?: boolean;
    remote?: string;
    ca?: string;
    cert?: string;
    key?: string;
    activate: boolean;
    replace?: boolean;
  };
  const plan = planGatewayAdd(endpoint, options);
  const roots = cliRoots();
  const name = nameArgument(plan.metadata.name, validateGatewayName);
  const systemPath = await readGatewayMetadata(roots, name).then(
    (found) => (found.source === "system" ? found.metadataPath : undefined),
    () => undefined,
  );
  if (plan.metadata.auth_mode === "plaintext") {
    const mtlsDir = gatewayMtlsDir(roots, name);
    if (hasUserCertificates(mtlsDir)) {
      // as upstream warns: certificates for this name suggest an https:// gateway
      printWarning(
        `mTLS certificates for gateway '${name}' are in ${mtlsDir}; did you mean https://?`,
      );
    }
  }
  const mtls = plan.mtls ??
    (plan.needsCertificates
      ? foundCertificates(roots, name, endpoint, options.local === true)
      : undefined);
  if (mtls !== undefined) await checkCertificates(mtls);
  if (plan.sshHost !== undefined) {
    // Only --remote asks ssh for the host name; the other additions do not load the resolver.
    const { resolveSshHostname } = await import("./_ssh_hostname.ts");
    plan.metadata.resolved_host = await resolveSshHostname(plan.sshHost);
  }
  if (options.replace) await refuseWhileServed(roots, name, "replace");
  const { metadataPath, activated, replaced } = await addUserGateway(roots, plan.metadata, {
    activate: options.activate ? "always" : "never",
    replace: options.replace === true,
    ...(mtls ? { mtls } : {}),
  });
  printMessage(
    `${replaced ? "Replaced" : "Added"} gateway '${name}' (${plan.metadata.gateway_endpoint}, ` +
      `${gatewayAuth(plan.metadata)}) in ${metadataPath}` +
      (activated ? " and made it active" : ""),
  );
  if (systemPath) printMessage(`It hides the system entry in ${systemPath}`);
  if (activated) warnEnvOverride(input, name);
}

/**
 * The client certificates of an mTLS gateway added without --ca/--cert/--key: those a local
 * gateway package provisioned (copied in, for --local), else none when the user's
 * `gateways/<name>/mtls/` already holds them.
 *
 * @throws {UserError} when neither exists; nothing is written.
 */
function foundCertificates(
  roots: RegistryRoots,
  name: string,
  endpoint: string,
  local: boolean,
): MtlsFiles | undefined {
  const packageDir = local ? packageTlsDir(processEnv) : undefined;
  if (packageDir !== undefined && allFilesPresent(packageTlsFiles(packageDir))) {
    return packageTlsFiles(packageDir);
  }
  const mtlsDir = gatewayMtlsDir(roots, name);
  if (hasUserCertificates(mtlsDir)) return undefined;
  const places = packageDir === undefined ? `"${mtlsDir}"` : `"${packageDir}" or "${mtlsDir}"`;
  throw new UserError(`mTLS certificates for gateway '${name}' were not found in ${places}`, {
    hint: `Start the gateway package first so it provisions client TLS material, or give ` +
      `--ca/--cert/--key, then retry: \`${
        local
          ? programCommand("gateway", "add", endpoint, "--local")
          : programCommand("gateway", "add", endpoint, "--remote", fillIn("<[user@]host>"))
      }\``,
  });
}

/**
 * Refuses certificates this program's TLS client would reject (a v1 certificate, a file
 * that is no certificate), before anything is written.
 *
 * @throws {UserError} saying what is wrong in words and how to fix it.
 */
async function checkCertificates(files: MtlsFiles): Promise<void> {
  const { certificateProblem } = await import("../pki/mod.ts");
  const certificates = [
    ["CA certificate", "--ca", files.ca],
    ["client certificate", "--cert", files.cert],
  ] as const;
  for (const [what, flag, path] of certificates) {
    const text = await readRegularTextFile(path, REGISTRY_FILE_MAX_BYTES).catch((error) => {
      throw fileError(`Cannot copy ${flag} file`, path, error);
    });
    const problem = certificateProblem(what, path, text);
    if (problem) throw new UserError(problem.message, { hint: problem.hint });
  }
}

/** Whether the user's `gateways/<name>/mtls/` holds all three client TLS files. */
function hasUserCertificates(mtlsDir: string): boolean {
  return allFilesPresent(mtlsFilePaths(mtlsDir));
}
