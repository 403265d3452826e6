# Sourced by the other scripts: puts the installed tools on PATH and defines build_release
# and at_exit.
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"
export LEPTOS_OUTPUT_NAME=roster   # as cargo-leptos sets it: one build of the dependencies serves tests and the app

# The release build that run.sh and bench.sh serve. --precompress writes .br and .gz copies of
# each file of the site, which the server sends to browsers that take them; the .gz are made
# again with gzip -9, a sixth smaller than cargo-leptos' own (the WASM: 532,454 bytes against
# 635,335), for browsers that take no brotli, such as Chrome over plain HTTP.
build_release() {
  cargo leptos build --release --precompress
  local gz
  while IFS= read -r -d '' gz; do
    gzip -9 -n -c "${gz%.gz}" >"$gz"
  done < <(find "${CARGO_TARGET_DIR:-target}/site" -name '*.gz' -print0)
}

# Runs the command $1 when the script exits, after those added before it: each throwaway
# service stops however the script ends.
exit_commands=()
at_exit() {
  exit_commands+=("$1")
  trap 'for command in "${exit_commands[@]}"; do eval "$command"; done' EXIT
}
