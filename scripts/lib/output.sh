# Headings for the scripts' output: bold on a terminal, plain text in a log or a pipe.
# shellcheck shell=bash

# NO_COLOR (https://no-color.org) turns the bold off on a terminal too
say() {
  if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
    printf '\n\033[1m== %s\033[0m\n' "$*"
  else
    printf '\n== %s\n' "$*"
  fi
}
