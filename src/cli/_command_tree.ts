/**
 * Every `openshell` command, declared once: its name, aliases, arguments, options, help and
 * how to run it. Parsing, `--help` and the shell completions are all derived from this tree
 * (see `_command_spec.ts` for the fields), and it is cheap to import: a command's code is
 * loaded by its `run` only when that command runs.
 *
 * To add a command, add an object to `commands` of its parent:
 *
 * ```ts
 * import type { CommandSpec } from "./_command_spec.ts";
 * const hello: CommandSpec = {
 *   name: "hello",
 *   description: "Greet a gateway",
 *   args: [{ name: "<name>", description: "gateway name" }], // `[name]` optional, `[names...]` the rest
 *   options: [
 *     { flags: "-o, --output <format>", description: "output format", choices: ["text", "json"], default: "text" },
 *     { flags: "--force", description: "replace an existing entry" },
 *   ],
 *   helpAfter: "\nExamples:\n  openshell hello corp",
 *   run: async (input) => void console.log(`hello ${input.args.name}`),
 * };
 * ```
 *
 * `run` gets the arguments by name (`input.args.name`), the options by key (`--show-origin`
 * is `input.options.showOrigin`, `--no-activate` is `input.options.activate`) and returns
 * the exit status (nothing: 0); a `UserError` it throws is reported as `error:` plus hint.
 * A group (`commands`) without `run` gets `help [command]`; `facts` supplies option defaults
 * and choices that heavier modules own, loaded only when the command is parsed or helped.
 *
 * @module
 */
import {
  type CommandSpec,
  COMPLETION_SHELLS,
  InvalidValue,
  type OptionSpec,
} from "./_command_spec.ts";
import { OUTPUT_FORMATS, REPORT_FORMATS } from "./_output.ts";

/** How long `status` waits for `/healthz` by default, in milliseconds. */
const DEFAULT_STATUS_TIMEOUT_MS = 2000;

const output = (choices: readonly string[]): OptionSpec => ({
  flags: "-o, --output <format>",
  description: "output format",
  choices,
  default: choices[0]!,
});

const systemDir: OptionSpec = {
  flags: "--system-dir <dir>",
  description: "the system registry to write (absolute path)",
  mandatory: true,
};
const dryRun: OptionSpec = {
  flags: "--dry-run",
  description: "check everything and report what would be written; write nothing",
};

const nameArg = { name: "[name]", description: "gateway name (default: the active gateway)" };

const bundle = () => import("./_bundle_command.ts");
const doctor = () => import("./_doctor_command.ts");
const system = () => import("./_system_add.ts");

const doctorOptions: OptionSpec[] = [
  output(REPORT_FORMATS),
  { flags: "-l, --listen <host:port>", description: "the address serve would listen on" },
];

// The defaults serve owns, read only when serve or doctor is parsed.
const serveDefaults = async () => (await import("../serve/mod.ts")).SERVE_DEFAULTS;

/** The `openshell` program. */
export const PROGRAM: CommandSpec = {
  name: "openshell",
  description: "Reach and run OpenShell gateways",
  options: [
    { flags: "-V, --version", description: "print the version", version: true },
    {
      flags: "-g, --gateway <name>",
      description: "use this gateway instead of the active one",
      env: "OPENSHELL_GATEWAY",
    },
    {
      flags: "--gateway-endpoint <url>",
      description:
        "status and gateway info ask this endpoint directly, with the certificates of the gateway holding it",
      env: "OPENSHELL_GATEWAY_ENDPOINT",
    },
    {
      flags: "--gateway-insecure",
      description:
        "status, gateway info and term accept any certificate from an https:// gateway and send no client certificate",
      env: "OPENSHELL_GATEWAY_INSECURE",
    },
  ],
  commands: [
    {
      name: "gateway",
      aliases: ["gw"],
      description: "Manage gateway registrations (user registry over the system registry)",
      commands: [
        {
          name: "list",
          aliases: ["ls"],
          description: "List gateways from the user and system registries",
          options: [
            output(OUTPUT_FORMATS),
            { flags: "--all", description: "also list system entries hidden by user entries" },
            { flags: "--show-origin", description: "show the metadata file of each entry" },
          ],
          run: async (input) => (await import("./_gateway_list.ts")).gatewayList(input),
        },
        {
          name: "add",
          description: "Register a gateway in the user registry and make it active",
          args: [{
            name: "<endpoint>",
            description: "http(s)://host[:port]; no scheme means https://",
          }],
          options: [
            {
              flags: "--name <name>",
              description: "gateway name (default: 'openshell' for loopback hosts, else the host)",
            },
            {
              flags: "--local",
              description: "an mTLS gateway on this machine",
              conflicts: ["remote"],
            },
            {
              flags: "--remote <[user@]host>",
              description: "an mTLS gateway reached on another host",
              conflicts: ["local"],
            },
            { flags: "--ca <file>", description: "CA certificate of an mTLS gateway" },
            { flags: "--cert <file>", description: "client certificate of an mTLS gateway" },
            { flags: "--key <file>", description: "client key of an mTLS gateway (stored 0600)" },
            {
              flags: "--no-activate",
              description: "register only; leave the active gateway as it is",
            },
            {
              flags: "--replace",
              description: "replace your registration of that name, and its certificates",
            },
          ],
          helpAfter: `
An https:// gateway needs --local or --remote and client certificates: --ca/--cert/--key,
or those a local gateway package left in $XDG_STATE_HOME/openshell/tls (--local), or files
already in gateways/<name>/mtls/ of your registry.`,
          run: async (input) => (await import("./_gateway_add.ts")).gatewayAdd(input),
        },
        {
          name: "select",
          description: "Make a gateway the user's active gateway",
          args: [{
            name: "[name]",
            description: "gateway name; without it, choose interactively on a terminal",
          }],
          run: async (input) => (await import("./_gateway_select.ts")).gatewaySelect(input),
        },
        {
          name: "remove",
          aliases: ["rm"],
          description: "Remove gateways from the user registry (system entries stay)",
          args: [{
            name: "[names...]",
            description: "gateway names (default: the active gateway)",
          }],
          run: async (input) => (await import("./_gateway_remove.ts")).gatewayRemove(input),
        },
        {
          name: "rename",
          description: "Rename a user gateway, with its per-user files (system entries stay)",
          args: [
            { name: "<old>", description: "current name" },
            { name: "<new>", description: "new name" },
          ],
          run: async (input) => (await import("./_gateway_rename.ts")).gatewayRename(input),
        },
        {
          name: "info",
          description: "Show a gateway's registration: source, file, what it hides, whether active",
          args: [nameArg],
          options: [output(REPORT_FORMATS)],
          run: async (input) => (await import("./_gateway_info.ts")).gatewayInfo(input),
        },
        {
          name: "stop",
          description: "Stop a gateway served on this machine (detached or in another terminal)",
          args: [nameArg],
          run: async (input) => (await import("./_gateway_stop.ts")).stopGateway(input),
        },
        {
          name: "logs",
          description: "Print the log of a gateway served with `serve --detach`",
          args: [nameArg],
          options: [
            {
              flags: "-f, --follow",
              description: "keep printing new lines until the gateway stops (or Ctrl-C)",
            },
            { flags: "-n, --lines <count>", description: "print only the last <count> lines" },
          ],
          run: async (input) => (await import("./_gateway_logs.ts")).gatewayLogs(input),
        },
      ],
    },
    {
      name: "status",
      description: "Show the active gateway and whether it answers",
      options: [
        // `table` is upstream's name for the text report
        output(["text", "table", "json", "yaml"]),
        {
          flags: "--timeout <ms>",
          description: "how long to wait for the gateway",
          parse: parseTimeout,
          default: DEFAULT_STATUS_TIMEOUT_MS,
        },
      ],
      run: async (input) => (await import("./_status_command.ts")).showStatus(input),
    },
    {
      name: "serve",
      description:
        "Run the packaged gateway in the foreground under an OCI runtime (youki where it can run, else runc or crun), " +
        "rootless as an ordinary user, and register it as a user gateway",
      options: [
        { flags: "-n, --name <name>", description: "gateway name to serve and register" },
        {
          flags: "-l, --listen <host:port>",
          description: "address the gateway listens on",
        },
        {
          flags: "--runtime <name>",
          description:
            "OCI runtime to use (default: youki where it can run here, else runc, then crun)",
        },
        {
          flags: "--runtime-path <path>",
          description:
            "path of the runtime executable (default: $OPENSHELL_OCI_RUNTIME, then PATH)",
        },
        {
          flags: "-d, --detach",
          description: "serve in the background once the gateway answers; the log goes to a file",
        },
        {
          ...output(REPORT_FORMATS),
          description: "with --detach: how the gateway is printed on stdout (text: its URL)",
        },
        {
          flags: "--state-dir <dir>",
          description:
            "the gateway's persistent state (default: $XDG_STATE_HOME/openshell/gateways/<name>)",
        },
        { flags: "--memory <size>", description: "the container's memory limit (K, M, G)" },
        { flags: "--pids <n>", description: "most processes and threads in the container" },
        { flags: "--cpus <n>", description: "CPU time the container may use, in CPUs (0: no cap)" },
        {
          flags: "--seccomp <profile>",
          description: "system call filter (unconfined: none, for debugging)",
        },
        {
          flags: "--auth <mode>",
          description:
            "how clients log in: mtls (client certificates, as upstream's local gateway) or token (API token over plaintext HTTP)",
        },
      ],
      facts: async () => {
        const [{ SERVE_DEFAULTS: defaults, SERVE_AUTH_MODES }, { RUNTIME_NAMES }, {
          SECCOMP_MODES,
        }] = await Promise.all([
          import("../serve/mod.ts"),
          import("../runtime/mod.ts"),
          import("../container/mod.ts"),
        ]);
        return {
          name: { default: defaults.name },
          listen: {
            description: "address the gateway listens on (default: where serve registered " +
              `--name, else ${defaults.listen})`,
          },
          runtime: { choices: RUNTIME_NAMES },
          memory: { default: defaults.memory },
          pids: { default: defaults.pids },
          cpus: { default: defaults.cpus },
          seccomp: { choices: SECCOMP_MODES, default: defaults.seccomp },
          auth: {
            choices: SERVE_AUTH_MODES,
            description: "how clients log in: mtls (client certificates, as upstream's local " +
              "gateway) or token (API token over plaintext HTTP) (default: as serve registered " +
              `--name, else ${defaults.auth})`,
          },
        };
      },
      helpAfter: `
Progress goes to stderr, the gateway's JSON log lines to stdout. SIGINT, SIGTERM or
SIGHUP stops the gateway (SIGKILL after 10 s, or at once on a second signal), sent at any
moment; a SIGHUP ignored from the start (nohup) stays ignored. The container, its bundle
and its secrets are removed in every outcome. The gateway stays registered after exit.

By default (--auth mtls) the gateway speaks TLS and asks every client for a certificate,
as NVIDIA OpenShell's local gateway does: the first serve of a name makes its CA, server
and client certificates, kept in the registry and reused by later serves (client material
in gateways/<name>/mtls/, as upstream's CLI reads it). --auth token serves plaintext HTTP
with the API token in gateways/<name>/token instead.

The container runs under a seccomp filter that denies what a gateway has no use for
(namespaces, mounts, keyrings, ptrace, bpf, perf, modules, kexec); limits that the cgroup
manager cannot apply for you (rootless on cgroup v1 without delegation) are skipped with
a warning.

Examples:
  openshell serve
  openshell serve --name dev --listen 127.0.0.1:9000 --runtime runc
  openshell serve --detach   # then: openshell gateway logs local; openshell gateway stop local`,
      run: async (input) => (await import("./_serve_command.ts")).serveCommand(input),
    },
    {
      name: "bundle",
      description: "Inspect and manage the embedded gateway rootfs",
      commands: [
        {
          name: "inspect",
          description: "Show the embedded rootfs image: digest, size, files, cache path",
          options: [output(REPORT_FORMATS)],
          run: async (input) => (await bundle()).inspectBundle(input),
        },
        {
          name: "unpack",
          description:
            "Unpack the embedded rootfs into the cache (once per digest); print its path",
          options: [output(REPORT_FORMATS)],
          run: async (input) => (await bundle()).unpackBundle(input),
        },
        {
          name: "verify",
          description: "Check that the program and every ELF file in the rootfs resolve their " +
            "interpreter and libraries inside it",
          options: [
            { flags: "--entrypoint <file>", description: "the program mounted in the container" },
            {
              flags: "--rootfs <dir>",
              description: "an unpacked rootfs to check (default: the cached embedded one)",
            },
            output(REPORT_FORMATS),
          ],
          facts: async () => {
            const { CONTAINER_PATHS } = await import("../contract/mod.ts");
            return {
              entrypoint: {
                description: `the program mounted at ${CONTAINER_PATHS.binary} ` +
                  "(default: this program's executable)",
              },
            };
          },
          run: async (input) => (await bundle()).verifyBundle(input),
        },
        {
          name: "gc",
          description:
            "Remove cached rootfs entries and program copies of other images and programs, and leftovers of interrupted unpacks",
          options: [
            { flags: "--all", description: "remove every cache entry, this program's too" },
            output(REPORT_FORMATS),
          ],
          run: async (input) => (await bundle()).collectBundleGarbage(input),
        },
        {
          name: "export",
          description:
            "Write the packaged gateway as an OCI image (a layout dir or a docker-archive)",
          args: [{
            name: "<target>",
            description: "the layout directory or archive file to create (must not exist)",
          }],
          options: [
            {
              flags: "--format <format>",
              description: "oci (an image layout DIR) or docker-archive (a FILE)",
              choices: ["oci", "docker-archive"],
              mandatory: true,
            },
            { flags: "--tag <name:tag>", description: "the image name" },
            output(REPORT_FORMATS),
          ],
          facts: async () => {
            const { DEFAULT_IMAGE_TAG } = await import("../image/mod.ts");
            return { tag: { default: DEFAULT_IMAGE_TAG } };
          },
          run: async (input) => (await bundle()).exportBundle(input),
        },
        {
          name: "kube",
          description: "Print a Kubernetes manifest running the exported gateway image",
          options: [
            { flags: "--name <name>", description: "the Deployment, Service and gateway name" },
            { flags: "--image <ref>", description: "the image to run" },
            {
              flags: "--token-file <file>",
              description: "the API token for the manifest's Secret, read from FILE",
            },
            {
              flags: "--secret <name>",
              description: "mount the existing Secret NAME (key `token`); no Secret is printed",
            },
            {
              flags: "--generate-token",
              description: "a new random token in the Secret (each print differs)",
            },
          ],
          facts: async () => {
            const { DEFAULT_IMAGE_TAG, IMAGE_GATEWAY_NAME } = await import("../image/mod.ts");
            return { name: { default: IMAGE_GATEWAY_NAME }, image: { default: DEFAULT_IMAGE_TAG } };
          },
          run: async (input) => (await bundle()).kubeManifestCommand(input),
        },
      ],
    },
    {
      name: "term",
      description:
        "Full-screen terminal view of gateways: where each comes from, whether it answers",
      helpAfter: `
Keys:
  up/down, j/k   move (g/G, Home/End, PgUp/PgDn jump)
  Enter          make the selected gateway active (the user active_gateway, like gateway select)
  d              remove the selected user gateway after a y/n confirmation
  r              re-read the registry and check every gateway now
  ?              help
  q, Ctrl-C      quit and restore the terminal

The registry is re-read every 2 s; STATUS comes from GET <endpoint>/healthz.
Needs a terminal; for scripts use \`openshell gateway list -o json\`.`,
      run: async (input) => (await import("./_term_command.ts")).runTermCommand(input),
    },
    {
      name: "doctor",
      description: "Check whether this host can serve the packaged gateway, and how to fix it",
      options: doctorOptions,
      facts: async () => ({ listen: { default: (await serveDefaults()).listen } }),
      helpAfter: `
Each line is ok, warn or fail, with what was found; anything not ok is followed by its
remedy. Exits 0 when serve can run here, 1 when a check failed.

Examples:
  openshell doctor
  openshell doctor check -o json`,
      commands: [{
        name: "check",
        description: "The same checks (NVIDIA OpenShell's spelling)",
        options: doctorOptions,
        facts: async () => ({ listen: { default: (await serveDefaults()).listen } }),
        run: async (input) => (await doctor()).doctorCheck(input),
      }],
      run: async (input) => (await doctor()).doctor(input),
    },
    {
      name: "system",
      description: "Seed a system gateway registry (for installers and packages)",
      helpAfter: `
These commands write only into the system registry given with --system-dir (there is no
default, and the user registry is refused); \`openshell gateway add\` stays the way to
register your own gateways.`,
      commands: [
        {
          name: "add",
          description: "Register a gateway in a system registry",
          args: [
            { name: "<name>", description: "gateway name: one path component" },
            { name: "<endpoint>", description: "http(s)://host[:port]; no scheme means https://" },
          ],
          options: [
            systemDir,
            { flags: "--activate", description: "also make it the system's active gateway" },
            {
              flags: "--replace",
              description: "overwrite a registration of that name with other content",
            },
            dryRun,
            output(REPORT_FORMATS),
          ],
          helpAfter: `
Writes <dir>/gateways/<name>/metadata.json (0644, directories 0755, atomically): the endpoint's
origin, its port, is_remote false for loopback hosts, auth_mode plaintext for http:// and mtls
otherwise. An identical registration is left as it is; one with other content is refused
without --replace. -o json reports metadata_action and active_action: create, unchanged or
replace.`,
          run: async (input) => (await system()).systemAdd(input),
        },
        {
          name: "select",
          description: "Make a gateway registered in a system registry its active gateway",
          args: [{ name: "<name>", description: "gateway name, registered in <dir>/gateways/" }],
          options: [systemDir, dryRun, output(REPORT_FORMATS)],
          run: async (input) => (await system()).systemSelect(input),
        },
      ],
    },
    {
      name: "completions",
      description: "Print the shell completion script for bash, zsh or fish",
      args: [{ name: "<shell>", description: "the shell", choices: COMPLETION_SHELLS }],
      helpAfter: `
Examples:
  source <(openshell completions bash)      # in ~/.bashrc
  source <(openshell completions zsh)       # in ~/.zshrc
  openshell completions fish | source       # in ~/.config/fish/config.fish
  openshell completions bash > /etc/bash_completion.d/openshell`,
      run: async (input) => (await import("./_completions_command.ts")).printCompletions(input),
    },
    {
      name: "version",
      description: "Print the version with the Deno, rootfs, runtime and system registry in use",
      options: [output(REPORT_FORMATS)],
      helpAfter: `
\`openshell --version\` prints the first line alone.`,
      run: async (input) => (await import("./_version_report.ts")).versionCommand(input),
    },
  ],
};

function parseTimeout(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms <= 0) {
    throw new InvalidValue("expected a positive number of milliseconds");
  }
  return ms;
}
