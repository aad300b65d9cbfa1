/**
 * The completion scripts for bash, zsh and fish, rendered from the completion model. Each
 * holds the command tree as data and asks the program itself (`gateway list -o json`) for
 * gateway names, so a new registration completes at once.
 *
 * @module
 */
import type { CompletionShell } from "./_command_spec.ts";
import type { CompletionCommand, ValueKind } from "./_completion_model.ts";

/**
 * The completion script for `shell`, for the program named `program`.
 *
 * @example
 * ```ts
 * import { PROGRAM } from "./_command_tree.ts";
 * import { completionModel } from "./_completion_model.ts";
 * import { completionScript } from "./_completion_scripts.ts";
 * completionScript("bash", completionModel(PROGRAM), "openshell");
 * ```
 */
export function completionScript(
  shell: CompletionShell,
  model: readonly CompletionCommand[],
  program: string,
): string {
  if (shell === "fish") return fishScript(model, program);
  const bash = bashScript(model, program);
  if (shell === "bash") return bash;
  return [
    `#compdef ${program}`,
    `# zsh completion for ${program}: the bash completion through zsh's bashcompinit.`,
    `# Load it with: source <(${program} completions zsh)`,
    "autoload -U +X compinit && { (( $+functions[compdef] )) || compinit; }",
    "autoload -U +X bashcompinit && bashcompinit",
    bash.split("\n").filter((line) => !line.startsWith("# ")).join("\n"),
  ].join("\n");
}

/** The program's options that apply after a subcommand too (`-g`), not help or version. */
function globalFlags(model: readonly CompletionCommand[]): string[] {
  return globalOptions(model).flatMap((o) => o.flags);
}

function globalOptions(model: readonly CompletionCommand[]) {
  const root = model.find((c) => c.path === "");
  return (root?.options ?? []).filter((o) =>
    !o.flags.includes("--help") && !o.flags.includes("--version")
  );
}

/** A value kind as one word for the scripts' tables. */
function kindWord(kind: ValueKind): string {
  return kind.kind === "choices" ? `choices:${kind.words.join(" ")}` : kind.kind;
}

function bashTable(name: string, entries: [string, string][]): string {
  const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
  const lines = entries.map(([key, value]) => `  [${quote(key)}]=${quote(value)}`);
  return `declare -gA ${name}=(\n${lines.join("\n")}\n)`;
}

/** A shell function name made from the program name. */
function functionName(program: string): string {
  return `_${program.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

function bashScript(model: readonly CompletionCommand[], program: string): string {
  const f = functionName(program);
  // bash refuses an empty key: the program's own path is "." in the tables.
  const key = (path: string) => path === "" ? "." : path;
  const subs = model.flatMap((c) =>
    c.subcommands.map((s): [string, string] => [`${key(c.path)}|${s.word}`, s.path])
  );
  const words = model.filter((c) => c.subcommands.length > 0).map((
    c,
  ): [string, string] => [key(c.path), c.subcommands.map((s) => s.word).join(" ")]);
  const opts = model.map((c): [string, string] => [
    key(c.path),
    c.options.flatMap((o) => o.flags).join(" "),
  ]);
  const values = model.flatMap((c) =>
    c.options.flatMap((o) =>
      o.value === undefined
        ? []
        : o.flags.map((flag): [string, string] => [`${key(c.path)}|${flag}`, kindWord(o.value!)])
    )
  );
  const args = model.flatMap((c) =>
    c.args.map((a, i): [string, string] => [`${key(c.path)}|${i}`, kindWord(a)])
  );
  return `# bash completion for ${program}, generated from its command definitions.
# Load it with: source <(${program} completions bash)
# Completion words never hold spaces; compgen's lines are split on purpose.
# shellcheck disable=SC2207
${bashTable(`${f}_sub`, subs)}
${bashTable(`${f}_words`, words)}
${bashTable(`${f}_opts`, opts)}
${bashTable(`${f}_value`, values)}
${bashTable(`${f}_arg`, args)}

# Registered gateway names, from the program's own JSON listing.
${f}_gateways() {
  "$1" gateway list -o json 2>/dev/null | sed -n 's/^    "name": "\\(.*\\)",\\{0,1\\}$/\\1/p'
}

# Fills COMPREPLY with the values of kind $1 that start with $2; $3 runs the program.
${f}_values() {
  local IFS=$'\\n'
  case $1 in
  gateway) COMPREPLY=($(compgen -W "$(${f}_gateways "$3")" -- "$2")) ;;
  file)
    COMPREPLY=($(compgen -f -- "$2"))
    compopt -o filenames 2>/dev/null
    ;;
  choices:*)
    local choices=\${1#choices:}
    COMPREPLY=($(compgen -W "\${choices// /$'\\n'}" -- "$2"))
    ;;
  *) COMPREPLY=() ;;
  esac
}

# The value kind of option $2 in command path $1 (its own, else the program's global one).
${f}_option_kind() {
  # Keys go through variables: zsh reads quotes inside a subscript literally.
  local key="$1|$2" global=".|$2"
  if [[ -n \${${f}_value[$key]+x} ]]; then
    printf '%s' "\${${f}_value[$key]}"
  elif [[ -n \${${f}_value[$global]+x} ]]; then
    printf '%s' "\${${f}_value[$global]}"
  fi
}

# zsh ties "path" to PATH: the command path is "node" here.
${f}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} node=. pos=0 i w kind key
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    if [[ $w == -* ]]; then
      if [[ $w != *=* && \${COMP_WORDS[i + 1]-} != "=" ]]; then
        kind=$(${f}_option_kind "$node" "$w")
        [[ -n $kind ]] && ((i++))
      fi
      continue
    fi
    if [[ $w == "=" ]]; then
      ((i++))
      continue
    fi
    key="$node|$w"
    if ((pos == 0)) && [[ -n \${${f}_sub[$key]+x} ]]; then
      node=\${${f}_sub[$key]}
    else
      ((pos++))
    fi
  done
  local prev=\${COMP_WORDS[COMP_CWORD - 1]}
  [[ $prev == "=" ]] && prev=\${COMP_WORDS[COMP_CWORD - 2]}
  if [[ $prev == -* ]]; then
    kind=$(${f}_option_kind "$node" "$prev")
    if [[ -n $kind ]]; then
      ${f}_values "$kind" "$cur" "\${COMP_WORDS[0]}"
      return
    fi
  fi
  if [[ $cur == -* ]]; then
    local options="\${${f}_opts[$node]-}"
    [[ $node != . ]] && options="$options ${globalFlags(model).join(" ")}"
    COMPREPLY=($(compgen -W "$options" -- "$cur"))
    return
  fi
  if ((pos == 0)) && [[ -n \${${f}_words[$node]+x} ]]; then
    COMPREPLY=($(compgen -W "\${${f}_words[$node]}" -- "$cur"))
    return
  fi
  key="$node|$pos"
  ${f}_values "\${${f}_arg[$key]-none}" "$cur" "\${COMP_WORDS[0]}"
}
complete -F ${f} ${program}
`;
}

function fishScript(model: readonly CompletionCommand[], program: string): string {
  const f = functionName(program).slice(1);
  const quote = (text: string) => `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
  const subs = model.flatMap((c) => c.subcommands.map((s) => `${c.path}|${s.word}=${s.path}`));
  const valued = model.flatMap((c) =>
    c.options.filter((o) => o.value !== undefined).flatMap((o) =>
      o.flags.map((flag) => `${c.path}|${flag}`)
    )
  );
  const at = (path: string) => `-n ${quote(`__${f}_at ${quote(path)}`)}`;
  const values = (kind: ValueKind) =>
    kind.kind === "gateway"
      ? `-f -a ${quote(`(__${f}_gateways)`)}`
      : kind.kind === "file"
      ? "-F"
      : kind.kind === "choices"
      ? `-f -a ${quote(kind.words.join(" "))}`
      : "-f";
  const lines: string[] = [];
  for (const c of model) {
    for (const s of c.subcommands) {
      lines.push(
        `complete -c ${program} ${at(c.path)} -f -a ${quote(s.word)} -d ${quote(s.description)}`,
      );
    }
    for (const o of c.options) {
      const spellings = o.flags.map((flag) =>
        flag.startsWith("--") ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`
      ).join(" ");
      const value = o.value === undefined ? "" : ` -r ${values(o.value)}`;
      const global = c.path === "" && globalOptions(model).includes(o);
      const where = global ? "" : ` ${at(c.path)}`;
      lines.push(`complete -c ${program}${where} ${spellings}${value} -d ${quote(o.description)}`);
    }
    c.args.forEach((a, i) => {
      if (a.kind === "none") return;
      const cond = quote(`__${f}_at ${quote(c.path)} ${i}`);
      lines.push(`complete -c ${program} -n ${cond} ${values(a)}`);
    });
  }
  return `# fish completion for ${program}, generated from its command definitions.
# Load it with: ${program} completions fish | source
set -g __${f}_subs ${subs.map(quote).join(" ")}
set -g __${f}_valued ${valued.map(quote).join(" ")}

# The command path of the command line so far, then the number of arguments after it.
function __${f}_path
    set -l words (commandline -opc)
    set -e words[1]
    set -l path ''
    set -l pos 0
    set -l skip 0
    for w in $words
        if test $skip = 1
            set skip 0
            continue
        end
        if string match -q -- '-*' $w
            if not string match -q -- '*=*' $w
                if contains -- "$path|$w" $__${f}_valued; or contains -- "|$w" $__${f}_valued
                    set skip 1
                end
            end
            continue
        end
        set -l next (string replace -f -- "$path|$w=" '' $__${f}_subs)
        if test $pos = 0; and test -n "$next"
            set path $next[1]
        else
            set pos (math $pos + 1)
        end
    end
    echo $path
    echo $pos
end

# Whether the command line is at path $argv[1] (and, given $argv[2], at that argument).
function __${f}_at
    set -l here (__${f}_path)
    test "$here[1]" = "$argv[1]"; or return 1
    if set -q argv[2]
        test "$here[2]" = "$argv[2]"
    else
        test "$here[2]" = 0
    end
end

function __${f}_gateways
    set -l words (commandline -opc)
    $words[1] gateway list -o json 2>/dev/null | string replace -rf '^    "name": "(.*)",?$' '$1'
end

complete -c ${program} -f
${lines.join("\n")}
`;
}
