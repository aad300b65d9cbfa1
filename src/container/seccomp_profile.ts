/**
 * The gateway container's seccomp profile: deny by default (EPERM), allow what Deno's runtime
 * (V8, tokio, glibc) and the server call. Started from the set container engines allow by
 * default, minus what a network gateway has no use for; every group says why it is there.
 *
 * @module
 */

/** An OCI seccomp argument condition. */
export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: "SCMP_CMP_MASKED_EQ" | "SCMP_CMP_EQ" | "SCMP_CMP_NE";
}

/** An OCI seccomp rule. */
export interface SeccompRule {
  names: string[];
  action: "SCMP_ACT_ALLOW" | "SCMP_ACT_ERRNO";
  errnoRet?: number;
  args?: SeccompArg[];
}

/** The OCI `linux.seccomp` object. */
export interface SeccompProfile {
  defaultAction: "SCMP_ACT_ERRNO";
  defaultErrnoRet: number;
  architectures: string[];
  syscalls: SeccompRule[];
}

/** `--seccomp` values: the default profile, or none (for debugging). */
export const SECCOMP_MODES = ["default", "unconfined"] as const;
/** One `--seccomp` value. */
export type SeccompMode = (typeof SECCOMP_MODES)[number];

const EPERM = 1;
const ENOSYS = 38;

/** Every namespace flag of clone(2): CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET. */
export const CLONE_NAMESPACE_FLAGS = 0x7e020000;

/** The names in a whitespace-separated list. */
function words(text: string): string[] {
  return text.trim().split(/\s+/);
}

/** The allowlist, one group per purpose (names the kernel lacks on an arch are dropped). */
export const ALLOWED_SYSCALL_GROUPS: Readonly<Record<string, readonly string[]>> = {
  // Starting a program: the runtime's final execve, glibc's and the loader's start-up.
  exec: words(`
    execve execveat arch_prctl set_tid_address set_robust_list get_robust_list rseq prctl
    uname getrandom
  `),
  // Threads and child processes (tokio's workers, V8's helpers, Deno.Command), no namespaces:
  // clone is allowed only without namespace flags (rule below), clone3 answers ENOSYS.
  processes: words(`
    fork vfork exit exit_group wait4 waitid kill tkill tgkill pidfd_open pidfd_send_signal
    getpid getppid gettid getpgid getpgrp setpgid getsid setsid
  `),
  // Identity queries and no-op changes (the process has no capabilities to gain anything).
  identity: words(`
    getuid geteuid getgid getegid getresuid getresgid getgroups setuid setgid setreuid
    setregid setresuid setresgid setgroups setfsuid setfsgid capget capset
  `),
  // Scheduling, priorities and limits (tokio sizes its pool from the affinity mask).
  scheduling: words(`
    sched_yield sched_getaffinity sched_setaffinity sched_getparam sched_setparam
    sched_getscheduler sched_setscheduler sched_getattr sched_setattr sched_get_priority_max
    sched_get_priority_min sched_rr_get_interval getpriority setpriority ioprio_get
    ioprio_set getrlimit setrlimit prlimit64 getrusage times sysinfo getcpu
  `),
  // Synchronisation between threads (futexes, V8's membarrier on code patching).
  sync: ["futex", "futex_waitv", "membarrier"],
  // Memory: V8's heap and JIT (mmap, mprotect), malloc, shared memory of the ipc namespace.
  memory: words(`
    brk mmap munmap mremap mprotect madvise mincore msync mlock mlock2 munlock mlockall
    munlockall memfd_create pkey_alloc pkey_free pkey_mprotect get_mempolicy set_mempolicy
    mbind shmget shmat shmdt shmctl semget semop semctl semtimedop msgget msgsnd msgrcv
    msgctl
  `),
  // Signals: Deno's signal listeners, V8's stack guard, glibc's cancellation.
  signals: words(`
    rt_sigaction rt_sigprocmask rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigpending
    rt_sigqueueinfo rt_tgsigqueueinfo sigaltstack signalfd signalfd4 pause alarm restart_syscall
  `),
  // Clocks and timers: timers, performance.now(), tokio's time driver.
  time: words(`
    clock_gettime clock_getres clock_nanosleep nanosleep gettimeofday time timer_create
    timer_settime timer_gettime timer_getoverrun timer_delete timerfd_create timerfd_settime
    timerfd_gettime getitimer setitimer
  `),
  // File descriptors and files: module loading, the state dir, the token, /proc reads.
  files: words(`
    read write readv writev pread64 pwrite64 preadv pwritev preadv2 pwritev2 lseek open
    openat openat2 creat close close_range dup dup2 dup3 pipe pipe2 fcntl ioctl flock stat
    fstat lstat newfstatat statx statfs fstatfs access faccessat faccessat2 readlink
    readlinkat getdents getdents64 getcwd chdir fchdir mkdir mkdirat rmdir unlink unlinkat
    rename renameat renameat2 link linkat symlink symlinkat chmod fchmod fchmodat chown
    fchown lchown fchownat umask truncate ftruncate fallocate fsync fdatasync sync syncfs
    sync_file_range utime utimes utimensat futimesat fadvise64 readahead copy_file_range
    sendfile splice tee vmsplice mknod mknodat getxattr lgetxattr fgetxattr listxattr
    llistxattr flistxattr setxattr lsetxattr fsetxattr removexattr lremovexattr fremovexattr
    inotify_init inotify_init1 inotify_add_watch inotify_rm_watch
  `),
  // Readiness and wake-ups: tokio's epoll reactor and eventfd waker, poll for std I/O.
  events: words(`
    epoll_create epoll_create1 epoll_ctl epoll_wait epoll_pwait epoll_pwait2 poll ppoll
    select pselect6 eventfd eventfd2
  `),
  // Sockets: listening, accepting and talking HTTP/1 and HTTP/2, DNS lookups.
  sockets: words(`
    socket socketpair bind listen accept accept4 connect getsockname getpeername getsockopt
    setsockopt sendto recvfrom sendmsg recvmsg sendmmsg recvmmsg shutdown
  `),
  // A process may only narrow its own filter further.
  seccomp: ["seccomp"],
};

/** Names that exist on x86_64 but not on arm64 (the legacy forms arm64 never had). */
const X86_64_ONLY = new Set(words(`
  arch_prctl fork vfork getpgrp time alarm pause signalfd eventfd epoll_create
  epoll_wait poll select open creat dup2 pipe stat lstat access readlink getdents mkdir
  rmdir unlink rename link symlink chmod chown lchown utime utimes futimesat mknod
  inotify_init
`));

/**
 * What the profile must deny (each tested from inside a running container): namespace
 * creation and joining, mounts, the kernel keyring, tracing, eBPF, perf, kernel modules,
 * kexec, file handles that bypass mounts, and userfaultfd.
 */
export const DENIED_SYSCALLS: readonly string[] = words(`
  unshare setns mount umount2 pivot_root keyctl add_key request_key ptrace bpf
  perf_event_open init_module finit_module delete_module kexec_load kexec_file_load
  open_by_handle_at userfaultfd
`);

/** The seccomp architectures of a Deno build architecture (native plus its 32-bit ABI). */
function architectures(arch: string): string[] {
  return arch === "aarch64"
    ? ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]
    : ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"];
}

/** The allowed names for `arch`, sorted. */
export function allowedSyscalls(arch: string = Deno.build.arch): string[] {
  const names = new Set(Object.values(ALLOWED_SYSCALL_GROUPS).flat());
  if (arch === "aarch64") { for (const name of X86_64_ONLY) names.delete(name); }
  return [...names].sort();
}

/**
 * How a runtime reads `SCMP_CMP_MASKED_EQ`: runc (and the OCI spec) take `value` as the mask
 * and `valueTwo` as the result; youki 0.7.0 the other way round.
 */
export type MaskedEqOrder = "mask-first" | "mask-second";

/** The masked-equal order of a runtime by name. */
export function maskedEqOrder(runtime: string): MaskedEqOrder {
  return runtime === "youki" ? "mask-second" : "mask-first";
}

/**
 * The gateway's seccomp profile for `arch` (default: this program's), as the OCI
 * `linux.seccomp` object, with clone's flag test written in the order `order` reads it.
 *
 * @example
 * ```ts
 * import { maskedEqOrder, seccompProfile } from "./mod.ts";
 * const profile = seccompProfile("x86_64", maskedEqOrder("runc"));
 * profile.defaultAction; // "SCMP_ACT_ERRNO"
 * ```
 */
export function seccompProfile(
  arch: string = Deno.build.arch,
  order: MaskedEqOrder = "mask-first",
): SeccompProfile {
  const [value, valueTwo] = order === "mask-first"
    ? [CLONE_NAMESPACE_FLAGS, 0]
    : [0, CLONE_NAMESPACE_FLAGS];
  return {
    defaultAction: "SCMP_ACT_ERRNO",
    defaultErrnoRet: EPERM,
    architectures: architectures(arch),
    syscalls: [
      { names: allowedSyscalls(arch), action: "SCMP_ACT_ALLOW" },
      // clone's flags are its first argument on x86_64 and arm64: no namespace flag set.
      {
        names: ["clone"],
        action: "SCMP_ACT_ALLOW",
        args: [{ index: 0, value, valueTwo, op: "SCMP_CMP_MASKED_EQ" }],
      },
      // clone3 passes its flags in memory, out of seccomp's reach: ENOSYS makes libc use clone.
      { names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: ENOSYS },
    ],
  };
}
