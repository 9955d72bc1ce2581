use clap::Parser;

fn main() -> std::process::ExitCode {
    sesame::cli::run(sesame::cli::Cli::parse())
}
