use clap::Parser;

// A server allocates and frees small buffers per request on several threads;
// mimalloc does that with less CPU than glibc's malloc (measured in
// BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    sesame::cli::run(sesame::cli::Cli::parse())
}
