# Sourced by the other scripts: puts the installed tools on PATH.
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"
export LEPTOS_OUTPUT_NAME=roster   # as cargo-leptos sets it: one build of the dependencies serves tests and the app
