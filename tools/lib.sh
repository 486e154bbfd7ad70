# Shared by tools/run and tools/test: installs what is missing and builds. Sourced, not run.

SMSGW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian 12 packages the build, the tests and the tools need (design.md section 4).
SMSGW_PACKAGES=(
  cmake ninja-build g++ pkg-config git
  clang-14 libclang-rt-14-dev
  libboost-dev libboost-system-dev
  libphonenumber-dev libicu-dev python3 python3-phonenumbers libre2-dev libprotobuf-dev
  libcctz-dev tzdata
  libhiredis-dev redis-server
  libsqlite3-dev libjemalloc-dev
  nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev prometheus-cpp-dev libcli11-dev
  libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  curl
)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

install_missing_packages() {
  local missing=()
  local pkg
  for pkg in "${SMSGW_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  # Node.js may come from another package than Debian's (the image ships one with npm).
  command -v npm >/dev/null || missing+=(nodejs npm)
  if ((${#missing[@]} == 0)); then
    say "Debian packages: all ${#SMSGW_PACKAGES[@]} present"
    return
  fi
  if [[ $(id -u) -ne 0 ]]; then
    say "missing packages: ${missing[*]}; run as root or install them with apt-get"
    exit 1
  fi
  say "installing ${#missing[@]} Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Node packages of the interop tests (tests/interop/package.json), from the npm registry.
install_node_packages() {
  local dir="$SMSGW_ROOT/tests/interop"
  [[ -f "$dir/package.json" ]] || return 0
  if [[ ! -d "$dir/node_modules" || "$dir/package.json" -nt "$dir/node_modules" ]]; then
    say "installing npm packages for the interop tests"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
    touch "$dir/node_modules"
  fi
}

# Configures (first time) and builds a CMake preset incrementally.
build_preset() {
  local preset="$1"
  cd "$SMSGW_ROOT"
  if [[ ! -f "build/$preset/build.ninja" ]]; then
    say "configuring (cmake --preset $preset)"
    cmake --preset "$preset" >/dev/null
  fi
  say "building (cmake --build --preset $preset)"
  cmake --build --preset "$preset" -- -j"$(nproc)"
}

# Prints a free TCP port on 127.0.0.1.
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
