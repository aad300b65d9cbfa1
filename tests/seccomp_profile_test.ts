import assert from "node:assert/strict";
import {
  ALLOWED_SYSCALL_GROUPS,
  allowedSyscalls,
  CLONE_NAMESPACE_FLAGS,
  DENIED_SYSCALLS,
  maskedEqOrder,
  seccompProfile,
} from "../src/container/seccomp_profile.ts";

Deno.test("seccomp profile: deny by default with EPERM, native and 32-bit ABIs", () => {
  const x86 = seccompProfile("x86_64");
  assert.equal(x86.defaultAction, "SCMP_ACT_ERRNO");
  assert.equal(x86.defaultErrnoRet, 1);
  assert.deepEqual(x86.architectures, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
  assert.deepEqual(seccompProfile("aarch64").architectures, ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]);
});

Deno.test("seccomp profile: no denied call is allowed, by name or through a group", () => {
  for (const arch of ["x86_64", "aarch64"]) {
    const profile = seccompProfile(arch);
    const allowed = profile.syscalls.filter((r) => r.action === "SCMP_ACT_ALLOW" && !r.args)
      .flatMap((r) => r.names);
    for (
      const name of [
        ...DENIED_SYSCALLS,
        "clone",
        "clone3",
        "io_uring_setup",
        "chroot",
        "personality",
      ]
    ) {
      assert.ok(!allowed.includes(name), `${name} is allowed unconditionally on ${arch}`);
    }
  }
});

Deno.test("seccomp profile: clone only without namespace flags, clone3 answers ENOSYS", () => {
  const rules = seccompProfile("x86_64").syscalls;
  const clone = rules.find((r) => r.names.includes("clone"))!;
  assert.deepEqual(clone.args, [
    { index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" },
  ]);
  // youki 0.7.0 reads the mask from valueTwo.
  assert.equal(maskedEqOrder("runc"), "mask-first");
  assert.deepEqual(
    seccompProfile("x86_64", maskedEqOrder("youki")).syscalls.find((r) =>
      r.names.includes("clone")
    )!.args,
    [{ index: 0, value: 0, valueTwo: CLONE_NAMESPACE_FLAGS, op: "SCMP_CMP_MASKED_EQ" }],
  );
  // CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET.
  const flags = [0x20000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000];
  assert.equal(flags.reduce((a, b) => a | b), CLONE_NAMESPACE_FLAGS);
  assert.deepEqual(rules.find((r) => r.names.includes("clone3")), {
    names: ["clone3"],
    action: "SCMP_ACT_ERRNO",
    errnoRet: 38,
  });
});

Deno.test("seccomp profile: what the runtime and the server need is allowed", () => {
  const allowed = allowedSyscalls("x86_64");
  for (
    const name of [
      "execve",
      "futex",
      "mmap",
      "mprotect",
      "epoll_wait",
      "epoll_pwait",
      "accept4",
      "socket",
      "bind",
      "listen",
      "sendmsg",
      "recvfrom",
      "eventfd2",
      "rt_sigaction",
      "openat",
      "statx",
      "getrandom",
      "clock_nanosleep",
      "sched_getaffinity",
      "madvise",
      "restart_syscall",
    ]
  ) assert.ok(allowed.includes(name), name);
  assert.deepEqual(allowed, [...new Set(allowed)].sort(), "sorted, no duplicates");
  const legacy = allowedSyscalls("aarch64");
  for (const name of ["open", "stat", "fork", "epoll_wait", "arch_prctl"]) {
    assert.ok(!legacy.includes(name), `${name} does not exist on arm64`);
  }
  for (const names of Object.values(ALLOWED_SYSCALL_GROUPS)) assert.ok(names.length > 0);
});
