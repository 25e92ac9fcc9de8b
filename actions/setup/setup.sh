#!/usr/bin/env bash
# Install shipline from this checkout of the kit into a virtualenv, once per job,
# and put it on PATH for the steps that follow.
#
# Every shipline action runs this first, through "$GITHUB_ACTION_PATH/../setup/setup.sh".
# The second and later calls in a job find a marker in $RUNNER_TEMP keyed on the
# kit's path and version and only re-export PATH, so they cost a few milliseconds.
#
# Installs with uv: the one on PATH, or one this script keeps in its cache directory.
# uv's cache lives there too (${SHIPLINE_CACHE_DIR:-~/.cache/shipline}), so a warm
# runner, or the setup action's actions/cache step, makes a cold install a matter of
# linking files. Only the core is installed, plus the extras the calling action names.
#
# Environment:
#   SHIPLINE_PYTHON     interpreter that creates the virtualenv (default: python3)
#   SHIPLINE_EXTRAS     comma-separated extras the stage needs: scan, loadtest, all
#   SHIPLINE_CACHE_DIR  where uv and its cache live (default: ~/.cache/shipline)
#   SHIPLINE_VENV       an existing virtualenv that already has this kit installed
#                       (for example an editable install); used as is, nothing installed
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

venv="$temp_root/shipline-venv-$key"
venv_bin="$venv/bin"
# a job that runs several stages grows one virtualenv: each call adds the extras it lacks
installed="$(cat "$venv/.shipline-extras" 2>/dev/null || true)"
missing=""
if [[ -z "${SHIPLINE_VENV:-}" ]]; then
  for extra in $(tr "," " " <<< "${SHIPLINE_EXTRAS:-}"); do
    [[ ",$installed," == *",$extra,"* ]] || missing="${missing:+$missing,}$extra"
  done
fi

if [[ -f "$marker" && -z "$missing" ]]; then
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
  python="${SHIPLINE_PYTHON:-python3}"
  cache_dir="${SHIPLINE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/shipline}"
  uv="$(command -v uv || true)"
  if [[ -z "$uv" ]]; then
    # uv itself, once per cache directory: a warm runner keeps it
    uv="$cache_dir/uv-venv/bin/uv"
    if [[ ! -x "$uv" ]]; then
      rm -rf "$cache_dir/uv-venv"
      "$python" -m venv "$cache_dir/uv-venv"
      "$cache_dir/uv-venv/bin/python" -m pip install --quiet --disable-pip-version-check "uv>=0.5,<1"
    fi
  fi
  export UV_CACHE_DIR="$cache_dir/uv"
  if [[ ! -x "$venv_bin/shipline" ]]; then
    # start clean: a venv left by an interrupted install may be half-built
    rm -rf "$venv"
    "$uv" venv --quiet --python "$python" "$venv"
    installed=""
  fi
  extras="$installed${installed:+${missing:+,}}$missing"
  echo "::group::Installing shipline $version${extras:+ [$extras]}"
  # the kit's tested versions of the tools whose output shipline parses
  "$uv" pip install --quiet --python "$venv_bin/python" --constraint "$kit_root/actions/setup/constraints.txt" "$kit_root${extras:+[$extras]}"
  echo "$extras" > "$venv/.shipline-extras"
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
