/**
 * `bundle export` and `bundle kube` with real engines: skopeo and umoci read the layout, the
 * unpacked bundle runs under youki, podman loads and runs the docker-archive and the layout as an
 * oci-archive (storage in temp dirs). `podman kube play` of the manifest is the README's recipe,
 * run by readme_recipes_test.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { checkKubeToken, kubeManifest } from "../src/image/mod.ts";
import { freePort } from "./_helpers/loopback.ts";
import { onPath, runCommand } from "./_helpers/run_command.ts";
import { cliArgv, createSandbox, type Sandbox } from "./_helpers/sandbox.ts";

const isRoot = Deno.uid() === 0;

async function cli(sandbox: Sandbox, args: string[]) {
  const argv = cliArgv(args);
  return await runCommand(argv, { env: sandbox.env });
}

async function healthy(url: string, ms = 30_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const response = await fetch(url);
      await response.body?.cancel();
      if (response.ok) return true;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

Deno.test("kube tokens: letters and digits, 32 to 512, a multiple of 4 (valid base64 as is)", () => {
  for (const good of ["a".repeat(32), "A1".repeat(18), "9".repeat(512)]) {
    assert.equal(checkKubeToken(good), good);
    assert.equal(atob(good).length, (good.length / 4) * 3, "decodes as base64 without padding");
  }
  for (const bad of ["a".repeat(28), "a".repeat(33), "a".repeat(516), "a".repeat(31) + "=", ""]) {
    assert.throws(() => checkKubeToken(bad), /invalid token/, bad);
  }
  assert.throws(() => checkKubeToken(`${"a".repeat(30)}+/`), /invalid token/);
  const existing = kubeManifest({ name: "g", image: "i", version: "1", token: { secret: "s" } });
  assert.deepEqual(existing.map((o) => o.kind), ["PersistentVolumeClaim", "Deployment", "Service"]);
});

Deno.test("bundle kube: a hardened Deployment, Service, token Secret and state claim", async () => {
  await using sandbox = await createSandbox();
  const token = "0123456789abcdef".repeat(4);
  const tokenFile = join(sandbox.root, "token");
  await Deno.writeTextFile(tokenFile, `${token}\n`);
  const args = ["bundle", "kube", "--name", "gw", "--image", "r.example/g:1"];
  const result = await cli(sandbox, [...args, "--token-file", tokenFile]);
  assert.equal(result.code, 0, result.stderr);
  const docs = result.stdout.split("\n---\n").map((d) => parse(d, { version: "1.1" }));
  assert.deepEqual(docs.map((d) => d.kind), [
    "Secret",
    "PersistentVolumeClaim",
    "Deployment",
    "Service",
  ]);
  const pod = docs[2].spec.template.spec;
  const container = pod.containers[0];
  assert.equal(container.image, "r.example/g:1");
  assert.equal(pod.securityContext.runAsUser, 65532);
  assert.deepEqual(pod.securityContext.seccompProfile, { type: "RuntimeDefault" });
  assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  assert.equal(container.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(container.securityContext.capabilities, { drop: ["ALL"] });
  assert.equal(container.resources.limits.memory, "512Mi");
  assert.equal(container.livenessProbe.httpGet.path, "/healthz");
  assert.equal(container.readinessProbe.httpGet.path, "/healthz");
  assert.ok(!JSON.stringify(container).includes(token), "no token in args");
  // Mounted as the token itself by Kubernetes (stringData wins) and by podman 4.3 (data as is).
  assert.deepEqual(docs[0].stringData, { token });
  assert.deepEqual(docs[0].data, { token });
  // Plain YAML: no anchors or aliases; the mode in octal as Kubernetes documents it.
  assert.doesNotMatch(result.stdout, /[&*]a\d/);
  assert.match(result.stdout, /^ +defaultMode: 0440$/m);
  assert.equal(pod.volumes.find((v: { secret?: unknown }) => v.secret).secret.defaultMode, 0o440);
  // Declarative: the same inputs print the same bytes.
  const again = await cli(sandbox, [...args, "--token-file", tokenFile]);
  assert.equal(again.stdout, result.stdout);

  const existing = await cli(sandbox, [...args, "--secret", "their-token"]);
  assert.equal(existing.code, 0, existing.stderr);
  const mounted = existing.stdout.split("\n---\n").map((d) => parse(d));
  assert.deepEqual(mounted.map((d) => d.kind), ["PersistentVolumeClaim", "Deployment", "Service"]);
  assert.ok(existing.stdout.includes("secretName: their-token"));
  const generated = await cli(sandbox, [...args, "--generate-token"]);
  const fresh = parse(generated.stdout.split("\n---\n")[0]!).stringData.token;
  assert.match(fresh, /^[0-9a-f]{64}$/);

  const refusals: [string[], RegExp][] = [
    [[], /needs the API token: --token-file FILE, --secret NAME or --generate-token/],
    [["--generate-token", "--secret", "s"], /exclude each other/],
    [["--secret", "Bad_Secret"], /invalid --secret "Bad_Secret"/],
    [["--name", "Bad_Name", "--generate-token"], /invalid name "Bad_Name"/],
  ];
  for (const [extra, message] of refusals) {
    const refused = await cli(sandbox, [...args, ...extra]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, message);
  }
  for (const bad of ["short", "has spaces in it and is long enough to pass", "a".repeat(33)]) {
    await Deno.writeTextFile(tokenFile, bad);
    const refused = await cli(sandbox, [...args, "--token-file", tokenFile]);
    assert.equal(refused.code, 2, bad);
    assert.match(refused.stderr, /invalid token: expected 32 to 512 letters and digits/);
  }
});

Deno.test({
  name:
    "bundle export: deterministic OCI layout and docker-archive that skopeo, umoci, youki and podman run",
  ignore: !isRoot || !(await onPath("skopeo")) || !(await onPath("umoci")) ||
    !(await onPath("podman")) || !(await onPath("youki")),
  async fn() {
    await using sandbox = await createSandbox({ mode: 0o755 });
    const layout = join(sandbox.root, "oci");
    const first = await cli(sandbox, ["bundle", "export", "--format", "oci", layout]);
    assert.equal(first.code, 0, first.stderr);
    const again = await cli(sandbox, ["bundle", "export", "--format", "oci", `${layout}2`]);
    assert.equal(again.stdout, first.stdout, "two exports give the same manifest digest");
    const exists = await cli(sandbox, ["bundle", "export", "--format", "oci", layout]);
    assert.equal(exists.code, 1, "an existing target is an ordinary error, not a usage error");

    const inspect = await runCommand(["skopeo", "inspect", `oci:${layout}`], { env: sandbox.env });
    assert.equal(inspect.code, 0, inspect.stderr);
    const info = JSON.parse(inspect.stdout);
    assert.equal(info.Digest, first.stdout.trim());
    const image = JSON.parse(await Deno.readTextFile(join(layout, "index.json")));
    assert.equal(image.manifests.length, 1);
    const rootfsManifest = JSON.parse(
      await Deno.readTextFile(new URL("../rootfs/dist/manifest.json", import.meta.url)),
    );
    assert.equal(info.Layers[0], `sha256:${rootfsManifest.tarball.sha256}`);

    // umoci unpacks it (as root: no user namespace); youki runs it on the host network.
    const bundle = join(sandbox.root, "bundle");
    const ref = `${layout}:localhost/openshell-gateway:latest`;
    const unpack = await runCommand(["umoci", "unpack", "--image", ref, bundle], {
      env: sandbox.env,
    });
    assert.equal(unpack.code, 0, unpack.stderr);
    const port = freePort();
    const secrets = join(sandbox.root, "secrets");
    await Deno.mkdir(secrets, { mode: 0o755 });
    await Deno.writeTextFile(join(secrets, "token"), "t0ken\n", { mode: 0o644 });
    const config = JSON.parse(await Deno.readTextFile(join(bundle, "config.json")));
    assert.deepEqual(config.process.user, { uid: 65532, gid: 65532 });
    config.linux.namespaces = config.linux.namespaces.filter((n: { type: string }) =>
      n.type !== "network"
    );
    config.process.terminal = false;
    config.process.args = config.process.args.map((a: string) =>
      a === "0.0.0.0:8090" ? `0.0.0.0:${port}` : a
    );
    delete config.process.rlimits;
    config.mounts.push(
      { destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev"] },
      {
        destination: "/var/lib/openshell",
        type: "tmpfs",
        source: "tmpfs",
        options: ["nosuid", "nodev", "mode=1777"],
      },
      { destination: "/run/openshell", type: "bind", source: secrets, options: ["rbind", "ro"] },
    );
    await Deno.writeTextFile(join(bundle, "config.json"), JSON.stringify(config));
    const state = join(sandbox.root, "youki");
    const id = `export-${crypto.randomUUID().slice(0, 8)}`;
    const youki = new Deno.Command("youki", {
      args: ["--root", state, "run", "--bundle", bundle, id],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    try {
      assert.ok(await healthy(`http://127.0.0.1:${port}/healthz`), "youki-run image answers");
    } finally {
      youki.kill("SIGTERM");
      await youki.stderr.cancel();
      await youki.status;
    }

    // podman loads the docker-archive and runs it (storage in temp dirs).
    const archive = join(sandbox.root, "gateway.tar");
    const tag = "localhost/openshell-gateway:test";
    const exported = await cli(sandbox, [
      "bundle",
      "export",
      "--format",
      "docker-archive",
      archive,
      "--tag",
      tag,
    ]);
    assert.equal(exported.stdout, first.stdout);
    const podman = [
      "podman",
      "--root",
      join(sandbox.root, "podman-storage"),
      "--runroot",
      join(sandbox.root, "podman-run"),
      "--storage-driver",
      "vfs",
      "--cgroup-manager",
      "cgroupfs",
      "--events-backend",
      "none",
    ];
    const load = await runCommand([...podman, "load", "-i", archive], { env: sandbox.env });
    assert.equal(load.code, 0, load.stderr);
    assert.match(load.stdout + load.stderr, new RegExp(tag));
    // An OCI layout, as an oci-archive, loads under its whole NAME:TAG, created at the source
    // date; the same date gives the same digest, another date another one.
    const dated = join(sandbox.root, "oci-dated");
    const named = "localhost/openshell-gateway:dated";
    const epoch = { ...sandbox.env, SOURCE_DATE_EPOCH: "1704164645" };
    const exportDated = (target: string, env: Record<string, string>) =>
      runCommand(cliArgv(["bundle", "export", "--format", "oci", target, "--tag", named]), {
        env,
      });
    const datedRun = await exportDated(dated, epoch);
    assert.equal(datedRun.code, 0, datedRun.stderr);
    assert.equal((await exportDated(`${dated}2`, epoch)).stdout, datedRun.stdout);
    assert.notEqual(datedRun.stdout, first.stdout);
    const ociArchive = join(sandbox.root, "oci-dated.tar");
    const tar = await runCommand(["tar", "-C", dated, "-cf", ociArchive, "."], {
      env: sandbox.env,
    });
    assert.equal(tar.code, 0, tar.stderr);
    const loadOci = await runCommand([...podman, "load", "-i", ociArchive], { env: sandbox.env });
    assert.equal(loadOci.code, 0, loadOci.stderr);
    assert.match(loadOci.stdout, /Loaded image: localhost\/openshell-gateway:dated$/m);
    const loaded = await runCommand([...podman, "image", "inspect", named], { env: sandbox.env });
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.equal(JSON.parse(loaded.stdout)[0].Created, "2024-01-02T03:04:05Z");
    const badDate = await exportDated(join(sandbox.root, "bad"), {
      ...sandbox.env,
      SOURCE_DATE_EPOCH: "yesterday",
    });
    assert.equal(badDate.code, 2);
    assert.match(badDate.stderr, /^error: invalid SOURCE_DATE_EPOCH "yesterday"/);
    const podmanPort = freePort();
    const stateDir = join(sandbox.root, "state-vol");
    await Deno.mkdir(stateDir);
    await Deno.chown(stateDir, 65532, 65532);
    const name = `openshell-export-${crypto.randomUUID().slice(0, 8)}`;
    const run = await runCommand([
      ...podman,
      "run",
      "-d",
      "--name",
      name,
      "--ulimit",
      "nofile=1024:1024",
      "--ulimit",
      "nproc=1024:1024",
      "--read-only",
      "-p",
      `127.0.0.1:${podmanPort}:8090`,
      "-v",
      `${secrets}:/run/openshell:ro`,
      "-v",
      `${stateDir}:/var/lib/openshell`,
      tag,
    ], { env: sandbox.env });
    try {
      assert.equal(run.code, 0, run.stderr);
      assert.ok(await healthy(`http://127.0.0.1:${podmanPort}/healthz`), "podman run answers");
      await runCommand([...podman, "rm", "-f", "-t", "2", name], { env: sandbox.env });
      // A token only root may read: the gateway (uid 65532) says what it needs.
      const closed = join(sandbox.root, "closed-secrets");
      await Deno.mkdir(closed, { mode: 0o755 });
      await Deno.writeTextFile(join(closed, "token"), "t0ken\n", { mode: 0o600 });
      const refused = await runCommand([
        ...podman,
        "run",
        "--rm",
        "--ulimit",
        "nofile=1024:1024",
        "--ulimit",
        "nproc=1024:1024",
        "--read-only",
        "-v",
        `${closed}:/run/openshell:ro`,
        tag,
      ], { env: sandbox.env });
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(
        refused.stdout,
        /Permission denied.*the gateway runs as uid 65532, which must be able to read the token file/,
      );
    } finally {
      await runCommand([...podman, "rm", "-a", "-f", "-t", "2"], { env: sandbox.env });
      await runCommand([...podman, "rmi", "-a", "-f"], { env: sandbox.env });
    }
  },
});
