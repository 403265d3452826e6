//! The `roster` binary: all of it lives in the library, so tests share the same wiring.

#[cfg(feature = "ssr")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "ssr")]
fn main() -> std::process::ExitCode {
    roster::server::cli::main()
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser build has no binary; see `hydrate` in lib.rs.
}
