/**
 * The host an SSH destination really reaches, as `ssh -G` reports it after applying the
 * user's SSH configuration (`Host` aliases, `HostName`); NVIDIA OpenShell stores it as a
 * remote gateway's `resolved_host`.
 *
 * @module
 */

/**
 * The `hostname` line of `ssh -G` output, or undefined when there is none.
 *
 * @example
 * ```ts
 * hostnameFromSshConfig("user me\nhostname 10.0.0.7\nport 22\n"); // "10.0.0.7"
 * ```
 */
export function hostnameFromSshConfig(output: string): string | undefined {
  for (const line of output.split("\n")) {
    if (!line.startsWith("hostname ")) continue;
    const value = line.slice("hostname ".length).trim();
    if (value !== "") return value;
  }
  return undefined;
}

/** Resolves `host` with `ssh -G`; the host itself when ssh is missing or fails. */
export async function resolveSshHostname(host: string): Promise<string> {
  try {
    const { success, stdout } = await new Deno.Command("ssh", {
      args: ["-G", host],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!success) return host;
    return hostnameFromSshConfig(new TextDecoder().decode(stdout)) ?? host;
  } catch {
    return host;
  }
}
