# shellcheck shell=bash
# Shared by bin/demo, bin/test and .ci/run; source it, don't run it.
#
#   source bin/_venv.sh
#   ensure_venv requirements-dev.txt
#
# cds to the project root, creates .venv with a Python >= 3.11 if it is missing, installs the
# requirements file unless the same requirements were already installed (a hash is kept in
# .venv), and puts .venv/bin first on PATH.

PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$PROJECT_ROOT/.venv"

die() {
    printf '%s: %s\n' "${0##*/}" "$*" >&2
    exit 1
}

# Prints the first interpreter that is Python >= 3.11: $PYTHON if set, else python3, then newer names.
find_python() {
    local candidate
    for candidate in ${PYTHON:-python3 python3.13 python3.12 python3.11}; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# The stamp covers every requirements file (requirements-dev.txt includes requirements.txt), the
# file asked for and the venv's Python, so any change to them means a new install.
requirements_hash() {
    local req="$1"
    {
        printf '%s\n' "$req"
        "$VENV/bin/python" -c 'import sys; print(sys.version)'
        cat "$PROJECT_ROOT"/requirements*.txt
    } | sha256sum | cut -d' ' -f1
}

ensure_venv() {
    local req="${1:?ensure_venv needs a requirements file}"
    local python stamp want lock_fd
    cd "$PROJECT_ROOT" || die "cannot cd to $PROJECT_ROOT"
    [[ -f "$req" ]] || die "$req not found in $PROJECT_ROOT"

    mkdir -p "$VENV"
    # Two scripts started at once (bin/demo beside bin/test) must not run pip into one venv together.
    if command -v flock >/dev/null 2>&1; then
        exec {lock_fd}>"$VENV/.setup.lock"
        flock "$lock_fd"
    fi

    if [[ -x "$VENV/bin/python" ]] &&
        ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        die ".venv was made with $("$VENV/bin/python" -V 2>&1); this project needs Python >= 3.11 (remove .venv to rebuild it)"
    fi
    if [[ ! -x "$VENV/bin/python" ]]; then
        python="$(find_python)" ||
            die "Python >= 3.11 is required; tried ${PYTHON:-python3 python3.13 python3.12 python3.11} (set PYTHON=/path/to/python3.11)"
        echo "Creating .venv with $("$python" -V 2>&1)"
        "$python" -m venv "$VENV" || die "could not create .venv (on Debian/Ubuntu: apt-get install python3-venv)"
    fi
    "$VENV/bin/python" -m pip --version >/dev/null 2>&1 ||
        die ".venv has no working pip; remove .venv and run again"

    stamp="$VENV/.installed-${req//\//_}.sha256"
    want="$(requirements_hash "$req")"
    if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
        echo "Installing $req into .venv"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" ||
            die "pip install -r $req failed"
        printf '%s\n' "$want" >"$stamp"
    fi

    if [[ -n "${lock_fd:-}" ]]; then
        exec {lock_fd}>&-
    fi
    export PATH="$VENV/bin:$PATH"
    export VIRTUAL_ENV="$VENV"
    unset PYTHONHOME
}
