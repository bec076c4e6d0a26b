// `kubectl-build completion`: a script that bash (and zsh, through its bashcompinit) sources to
// complete the executable's flags, flag values and subcommands when it is run directly. It asks the
// executable itself with --get-yargs-completions, as kubectl_complete-<plugin> does for kubectl.
// yargs' own script is not used: it takes the command's name ("kubectl build", with a space) for a
// shell function's name, which no shell accepts.

/** The script for `executable` (kubectl-build, kubectl-buildkit or kubectl-trust). */
export function completionScript(executable: string): string {
  const fn = `_${executable.replace(/[^A-Za-z0-9_]/g, '_')}_completions`;
  return [
    `# ${executable} completion for bash and zsh: add "source <(${executable} completion)" to ~/.bashrc or ~/.zshrc`,
    'if [ -n "${ZSH_VERSION:-}" ]; then autoload -U +X bashcompinit && bashcompinit; fi',
    `${fn}() {`,
    '  local IFS=$\'\\n\'',
    `  COMPREPLY=($(${executable} --get-yargs-completions "\${COMP_WORDS[@]:0:COMP_CWORD+1}" 2>/dev/null))`,
    '}',
    // Nothing offered (a PATH, a file for --file): the shell completes file names.
    `complete -o bashdefault -o default -F ${fn} ${executable}`,
    '',
  ].join('\n');
}
