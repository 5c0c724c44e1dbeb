//! The aybiza_bedrock NIF: thin wrappers that decode terms, call the pure-Rust crates and
//! encode the results. One file per concern.

mod atoms;
mod catalog;
mod emulator;
mod encode;
mod sonic;
mod stream;
mod term_value;
mod text;

rustler::init!("Elixir.Aybiza.Native");
