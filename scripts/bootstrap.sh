#!/usr/bin/env bash
# Sets up what a fresh Debian 12 machine lacks for Jumeau; a second run only checks and returns.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var/static  # STATIC_ROOT: whitenoise warns when it is missing (`make demo` and the image run collectstatic)

# libproj-dev/proj-bin: pyproj is built against Debian's PROJ. SQLite loads SpatiaLite with RTLD_GLOBAL,
# so a second, bundled PROJ in the same process (pyproj or rasterio wheels) crashes at exit.
# nginx and openssl: tests/deploy run the shipped nginx configuration, with a self-signed certificate.
DEB_PACKAGES=(gdal-bin libgdal32 libgeos-c1v5 libproj25 libproj-dev proj-bin proj-data libsqlite3-mod-spatialite
              python3-venv python3-dev build-essential binutils chromium nginx openssl
              libpango-1.0-0 libpangoft2-1.0-0)  # WeasyPrint (impact report PDFs) lays text out with Pango
VENV=.venv
PY=${JUMEAU_PYTHON:-/usr/bin/python3}

say() { printf '\033[1m[jumeau]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[jumeau] %s\033[0m\n' "$*" >&2; exit 1; }

# --- Debian packages
command -v npm >/dev/null || DEB_PACKAGES+=(nodejs npm)
# A city may need more (e.g. a geoid grid package): JUMEAU_EXTRA_DEB_PACKAGES="pkg1 pkg2".
read -r -a extra <<< "${JUMEAU_EXTRA_DEB_PACKAGES:-}"
DEB_PACKAGES+=("${extra[@]}")
missing=()
for pkg in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  say "Installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo"
  else die "Missing Debian packages: ${missing[*]}. Run as root (or with sudo): apt-get update && apt-get install -y ${missing[*]} — then run this command again."
  fi
  if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >var/apt.log 2>&1; then
    say "apt-get install failed once; updating the package lists and trying again"
    $SUDO apt-get update -q >>var/apt.log 2>&1 || die "apt-get update failed: see var/apt.log (network or mirror problem?)."
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >>var/apt.log 2>&1 \
      || die "apt-get install ${missing[*]} failed: see var/apt.log."
  fi
  # Debian starts an nginx service with its default site on port 80 when port 80 is free. The tests run
  # their own nginx on free ports; a web server nobody asked for is not left running on this machine.
  if [[ " ${missing[*]} " == *" nginx "* ]] && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now nginx.service >>var/apt.log 2>&1 || true
  fi
fi

# --- A Python that can load SQLite extensions (pyenv's cannot; Debian's can)
[ -x "$PY" ] || die "$PY not found: install Debian's python3 (apt-get install python3 python3-venv)."
if ! "$PY" -c "import sqlite3; c=sqlite3.connect(':memory:'); c.enable_load_extension(True); c.load_extension('mod_spatialite')" 2>/dev/null; then
  die "$PY cannot load the SpatiaLite extension. Install libsqlite3-mod-spatialite, and use Debian's python3 (not a pyenv/conda build without extension loading)."
fi

# --- The virtualenv, rebuilt only when pyproject.toml changes
stamp="$VENV/.jumeau-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  if [ -d "$VENV" ] && ! "$VENV/bin/python" -c "import sqlite3; c=sqlite3.connect(':memory:'); c.enable_load_extension(True)" 2>/dev/null; then
    say "$VENV was made with a Python that cannot load SQLite extensions: recreating it"
    rm -rf "$VENV"
  fi
  [ -x "$VENV/bin/python" ] || { say "Creating $VENV with $PY"; "$PY" -m venv "$VENV"; }
  say "Installing Python dependencies into $VENV (about a minute the first time)"
  "$VENV/bin/pip" install -q --disable-pip-version-check --upgrade pip >/dev/null
  # pyproj is compiled against Debian's PROJ (see DEB_PACKAGES); its 3.6 sources need Cython 3.0.
  "$VENV/bin/pip" install -q --disable-pip-version-check "cython==3.0.12" setuptools wheel \
    && "$VENV/bin/pip" install -q --disable-pip-version-check --no-cache-dir --no-build-isolation --no-binary pyproj "pyproj==3.6.1" \
    && "$VENV/bin/pip" install -q --disable-pip-version-check --no-binary pyproj ".[test]" \
    || die "pip install failed: see the message above. Check that PyPI is reachable, then run this command again."
  rm -f "$VENV"/.jumeau-*
  touch "$stamp"
fi

# --- Frontend packages (Cesium is served by the app itself: no CDN at run time)
lock_stamp="frontend/node_modules/.jumeau-$(sha256sum frontend/package-lock.json | cut -c1-16)"
if [ ! -f "$lock_stamp" ]; then
  command -v npm >/dev/null || die "npm not found: apt-get install nodejs npm (Node 18+), then run this command again."
  say "Installing frontend packages (npm ci)"
  (cd frontend && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed: check that the npm registry is reachable, then run this command again."
  rm -f frontend/node_modules/.jumeau-*
  touch "$lock_stamp"
fi

# --- A secret key for this machine, kept out of git
mkdir -p var/static  # STATIC_ROOT: whitenoise warns when it is missing (`make demo` and the image run collectstatic)
[ -s var/secret_key ] || "$VENV/bin/python" -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key
say "Environment ready."
