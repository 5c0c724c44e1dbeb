# Sourced by bin/demo, bin/test and bin/bench: makes sure cargo, Elixir and Mix are there.
# On Debian as root a missing Elixir/Erlang is installed from Debian's packages; otherwise the
# script says exactly what to install and stops.

DEBIAN_PACKAGES="elixir erlang-dev erlang-nox erlang-eunit erlang-src erlang-proper erlang-dialyzer erlang-inets erlang-mnesia"

ensure_tools() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo (Rust stable) is required: install it with rustup (https://rustup.rs)" >&2
    exit 1
  fi
  local missing=""
  command -v mix >/dev/null 2>&1 || missing="yes"
  command -v erl >/dev/null 2>&1 || missing="yes"
  # The NIF build needs erl_nif.h (erlang-dev) and the tests need PropEr.
  if [ -z "$missing" ] && ! erl -noshell -eval 'case code:which(proper) of non_existing -> halt(1); _ -> halt(0) end.' >/dev/null 2>&1; then
    missing="yes"
  fi
  if [ -n "$missing" ]; then
    if [ "$(id -u)" = "0" ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; then
      echo "==> installing Elixir and Erlang from Debian's packages"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -q
      # shellcheck disable=SC2086
      apt-get install -y --no-install-recommends $DEBIAN_PACKAGES
    else
      echo "error: Elixir >= 1.14 and Erlang/OTP >= 25 are required." >&2
      echo "On Debian/Ubuntu run as root:" >&2
      echo "  apt-get update && apt-get install -y --no-install-recommends $DEBIAN_PACKAGES" >&2
      exit 1
    fi
  fi
  export MIX_HOME="${MIX_HOME:-$HOME/.mix}"
  export LANG="${LANG:-C.UTF-8}" LC_ALL="${LC_ALL:-C.UTF-8}"
}
