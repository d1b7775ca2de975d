#!/usr/bin/env bash
# Install nnstudio into .venv at the repository root.
#
#   bash scripts/install.sh
#
# 1. On Debian/Ubuntu, installs the shared libraries Qt needs (offscreen and on
#    an X11 desktop) and a font, through apt-get when running as root or when
#    sudo is available.  Only missing libraries are installed, so re-running is
#    cheap.
# 2. Creates .venv with python3 (>= 3.10), or $PYTHON if set.
# 3. pip install -e ".[test]" into it.
#
# It never starts the app; the README runs `.venv/bin/nnstudio` after it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
VENV=.venv

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: error: %s\n' "$*" >&2; exit 1; }

# Shared library -> Debian package that ships it.  QtCore/QtGui/QtWidgets and
# the offscreen platform plugin need the first group; the xcb platform plugin
# (a real window on an X11 or XWayland desktop) needs the second.
QT_LIBRARIES=(
    "libglib-2.0.so.0 libglib2.0-0"
    "libgthread-2.0.so.0 libglib2.0-0"
    "libEGL.so.1 libegl1"
    "libGL.so.1 libgl1"
    "libX11.so.6 libx11-6"
    "libxkbcommon.so.0 libxkbcommon0"
    "libfontconfig.so.1 libfontconfig1"
    "libfreetype.so.6 libfreetype6"
    "libdbus-1.so.3 libdbus-1-3"
    "libX11-xcb.so.1 libx11-xcb1"
    "libxcb.so.1 libxcb1"
    "libxcb-cursor.so.0 libxcb-cursor0"
    "libxcb-icccm.so.4 libxcb-icccm4"
    "libxcb-image.so.0 libxcb-image0"
    "libxcb-keysyms.so.1 libxcb-keysyms1"
    "libxcb-randr.so.0 libxcb-randr0"
    "libxcb-render.so.0 libxcb-render0"
    "libxcb-render-util.so.0 libxcb-render-util0"
    "libxcb-shape.so.0 libxcb-shape0"
    "libxcb-shm.so.0 libxcb-shm0"
    "libxcb-sync.so.1 libxcb-sync1"
    "libxcb-util.so.1 libxcb-util1"
    "libxcb-xfixes.so.0 libxcb-xfixes0"
    "libxcb-xkb.so.1 libxcb-xkb1"
    "libxkbcommon-x11.so.0 libxkbcommon-x11-0"
)

# Prints "sudo" or "" (root), or fails when apt-get cannot be run at all.
apt_runner() {
    command -v apt-get >/dev/null 2>&1 || return 1
    if [[ $(id -u) -eq 0 ]]; then
        echo ""
    elif command -v sudo >/dev/null 2>&1; then
        echo "sudo"
    else
        return 1
    fi
}

# apt_install PKG...: install with the current package lists first, and refresh
# them only when that fails (a fresh image has none; old ones may 404).
apt_install() {
    local runner
    runner=$(apt_runner) || {
        say "cannot run apt-get (not root, no sudo); install these yourself: $*"
        return 0
    }
    say "apt-get install $*"
    local -a apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -qq -o=Dpkg::Use-Pty=0)
    [[ -n $runner ]] && apt=("$runner" "${apt[@]}")
    if "${apt[@]}" install --no-install-recommends "$@" >/dev/null 2>&1; then
        return 0
    fi
    if "${apt[@]}" update && "${apt[@]}" install --no-install-recommends "$@" >/dev/null; then
        return 0
    fi
    # As root this is a real failure; through sudo the user may lack the rights
    # but have the libraries from elsewhere, so carry on and let Qt complain.
    [[ -z $runner ]] && die "apt-get could not install: $*"
    say "warning: apt-get could not install: $*"
}

have_library() {
    local ldconfig
    ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
    "$ldconfig" -p 2>/dev/null | grep -q "^[[:space:]]*$1 "
}

have_font() {
    local dir
    for dir in /usr/share/fonts /usr/local/share/fonts "$HOME/.local/share/fonts" "$HOME/.fonts"; do
        [[ -d $dir ]] && [[ -n $(find "$dir" \( -name '*.ttf' -o -name '*.otf' \) -print -quit 2>/dev/null) ]] && return 0
    done
    return 1
}

install_system_packages() {
    if ! command -v dpkg >/dev/null 2>&1; then
        say "not a Debian-based system: make sure Qt 6's runtime libraries (EGL, GL, fontconfig, xkbcommon, xcb-cursor) are installed"
        return 0
    fi
    local -a missing=()
    local entry library package
    for entry in "${QT_LIBRARIES[@]}"; do
        read -r library package <<<"$entry"
        have_library "$library" || missing+=("$package")
    done
    # Qt ships no fonts; without one, every text item renders as empty boxes.
    have_font || missing+=(fonts-dejavu-core)
    if ((${#missing[@]})); then
        # shellcheck disable=SC2046  # word splitting of the de-duplicated list is intended
        apt_install $(printf '%s\n' "${missing[@]}" | sort -u)
    fi
}

python_version_ok() {
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null
}

check_python() {
    if ! command -v "$PYTHON" >/dev/null 2>&1; then
        apt_runner >/dev/null 2>&1 && apt_install python3 python3-venv
        command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found; install Python 3.10 or newer (or set PYTHON=/path/to/python3.x)"
    fi
    python_version_ok || die "$("$PYTHON" -V 2>&1) is too old; nnstudio needs Python 3.10 or newer (set PYTHON=/path/to/python3.x)"
    # Debian and Ubuntu ship venv's ensurepip in a separate package.
    if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
        local version
        version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
        apt_runner >/dev/null 2>&1 && apt_install "python${version}-venv"
        "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null \
            || die "$PYTHON has no working venv module; install it (Debian/Ubuntu: apt-get install python${version}-venv)"
    fi
}

create_venv() {
    if [[ -x $VENV/bin/python ]] && "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
        return 0
    fi
    [[ -e $VENV ]] && { say "replacing broken $VENV"; rm -rf "$VENV"; }
    say "creating $VENV with $("$PYTHON" -V 2>&1)"
    "$PYTHON" -m venv "$VENV"
}

install_system_packages
check_python
create_venv
say "pip install -e \".[test]\""
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[test]"
say "done: start the app with .venv/bin/nnstudio, run the tests with .venv/bin/python -m pytest"
