# Shared by scripts/test and scripts/demo: install what shipline needs, idempotently.
# shellcheck shell=bash

PYTHON=${PYTHON:-python3}

# git, haproxy, nginx, ps and OpenSSH (client, and sshd for the tests), from Debian or Ubuntu packages when missing
setup_system_packages() {
  local missing=()
  command -v git >/dev/null || missing+=(git)
  command -v haproxy >/dev/null || [[ -x /usr/sbin/haproxy ]] || missing+=(haproxy)
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
  command -v ps >/dev/null || missing+=(procps)
  # Prometheus (with promtool) and amtool: shipline monitor's rules and the prometheus analysis provider are tested against them
  [[ -x /usr/bin/promtool ]] || missing+=(prometheus)
  [[ -x /usr/bin/amtool ]] || missing+=(prometheus-alertmanager)
  command -v ssh >/dev/null || missing+=(openssh-client)
  command -v sshd >/dev/null || [[ -x /usr/sbin/sshd ]] || missing+=(openssh-server)
  # Go (Debian's 1.19): the Go stand-in of `shipline act` finds it for go.mod's `go 1.18` and newer directives up to it
  command -v go >/dev/null || [[ -x /usr/bin/go ]] || missing+=(golang-go)
  command -v "$PYTHON" >/dev/null || missing+=(python3)
  # Debian and Ubuntu ship venv's pip bootstrap apart from Python itself.
  "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
  ((${#missing[@]})) || return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "scripts: missing system packages: ${missing[*]}; install them (sudo apt-get install ${missing[*]}) and run again" >&2
    return 1
  fi
  echo "scripts: installing ${missing[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts nothing by itself in a container, but stop them if it did: tests start their own.
  (service nginx stop; service haproxy stop; service ssh stop; service prometheus stop; service prometheus-alertmanager stop) >/dev/null 2>&1 || true
}

setup_venv() {
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "scripts: shipline needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1)" >&2
    return 1
  fi
  [[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
  local stamp=.venv/.shipline-installed constraints=actions/setup/constraints.txt
  if [[ ! -f $stamp || pyproject.toml -nt $stamp || $constraints -nt $stamp ]]; then
    echo "scripts: installing shipline and its dev dependencies into .venv" >&2
    # uv installs; it lives in the venv itself, so pip is needed once, for uv alone
    if [[ ! -x .venv/bin/uv ]]; then
      .venv/bin/python -m pip install -q --disable-pip-version-check 'uv>=0.5,<1' 2>&1 | grep -v '^WARNING: Location' >&2 || true
    fi
    # the tools whose output shipline parses at the versions the actions install
    .venv/bin/uv pip install -q --python .venv/bin/python --constraint "$constraints" -e '.[dev]' >&2 || true
    .venv/bin/python -c 'import shipline' || { echo "scripts: installing shipline failed" >&2; return 1; }
    touch "$stamp"
  fi
  export PATH="$PWD/.venv/bin:$PATH"
}
