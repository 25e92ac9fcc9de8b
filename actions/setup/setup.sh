#!/usr/bin/env bash
# Install shipline from this checkout of the kit into a virtualenv, once per job,
# and put it on PATH for the steps that follow.
#
# Every shipline action runs this first, through "$GITHUB_ACTION_PATH/../setup/setup.sh".
# The second and later calls in a job find a marker in $RUNNER_TEMP keyed on the
# kit's path and version and only re-export PATH, so they cost a few milliseconds.
#
# Environment:
#   SHIPLINE_PYTHON  interpreter that creates the virtualenv (default: python3)
#   SHIPLINE_VENV    an existing virtualenv that already has this kit installed
#                    (for example an editable install); used as is, nothing installed
set -euo pipefail

kit_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [[ -f "$kit_root/pyproject.toml" ]]; then
  version="$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$kit_root/pyproject.toml" | head -n 1)"
elif [[ -x "${SHIPLINE_VENV:-}/bin/shipline" ]]; then
  # the actions shipped inside an installed shipline (share/shipline): that install is the kit
  version="$("$SHIPLINE_VENV/bin/shipline" --version | cut -d ' ' -f 2)"
else
  version=""
fi
if [[ -z "$version" ]]; then
  echo "::error title=shipline setup::no version found in $kit_root/pyproject.toml; is this a checkout of the shipline kit?"
  exit 1
fi

temp_root="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
# one virtualenv per kit checkout and version: a job that uses two refs of the kit gets two
key="$(printf '%s@%s' "$kit_root" "$version" | cksum | cut -d ' ' -f 1)"
marker="$temp_root/shipline-setup-$key"

publish() {  # $1: the directory to put on PATH
  if [[ -n "${GITHUB_PATH:-}" ]]; then
    echo "$1" >> "$GITHUB_PATH"
  fi
  if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
    echo "version=$version" >> "$GITHUB_OUTPUT"
  fi
}

if [[ -f "$marker" ]]; then
  bin_dir="$(cat "$marker")"
  if [[ -x "$bin_dir/shipline" ]]; then
    publish "$bin_dir"
    exit 0
  fi
fi

if [[ -n "${SHIPLINE_VENV:-}" ]]; then
  if [[ ! -x "$SHIPLINE_VENV/bin/shipline" ]]; then
    echo "::error title=shipline setup::SHIPLINE_VENV=$SHIPLINE_VENV has no bin/shipline; unset it or install the kit there"
    exit 1
  fi
  venv_bin="$(cd "$SHIPLINE_VENV/bin" && pwd)"
else
  venv="$temp_root/shipline-venv-$key"
  venv_bin="$venv/bin"
  python="${SHIPLINE_PYTHON:-python3}"
  echo "::group::Installing shipline $version"
  # start clean: a venv left by an interrupted install may be half-built
  rm -rf "$venv"
  "$python" -m venv "$venv"
  # pip's own cache (~/.cache/pip) keeps the dependencies' wheels between runs.
  # --no-compile: byte-compiling every module of every dependency took a quarter of a
  # cold install (38 s -> 28 s here); Python compiles the few modules a job imports.
  "$venv_bin/python" -m pip install --quiet --no-compile --disable-pip-version-check "$kit_root"
  echo "::endgroup::"
fi

# PATH gets only shipline and the tools it drives, never the virtualenv's python or
# pip: the project's own `python -m pytest` must still find the project's Python
bin_dir="$temp_root/shipline-bin-$key"
mkdir -p "$bin_dir"
for tool in shipline semgrep pysemgrep bandit locust; do
  if [[ -x "$venv_bin/$tool" ]]; then
    ln -sfn "$venv_bin/$tool" "$bin_dir/$tool"
  fi
done

echo "$bin_dir" > "$marker.tmp.$$"
mv -f "$marker.tmp.$$" "$marker"
publish "$bin_dir"
echo "shipline $version ready ($venv_bin)"
