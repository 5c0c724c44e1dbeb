//! The aybiza_bedrock NIF: thin wrappers that decode terms, call the pure-Rust crates and
//! encode the results. One file per concern.

mod atoms;
mod catalog;
#[cfg(feature = "emulator")]
mod emulator;
#[cfg(not(feature = "emulator"))]
mod emulator_absent;
mod encode;
mod sonic;
mod stream;
mod term_value;
mod text;

/// Whether this build carries the embedded emulator (cargo feature `emulator`).
#[rustler::nif]
fn emulator_built() -> bool {
    cfg!(feature = "emulator")
}

/// Opens the resource types rustler does not (the segmenter's: see `text.rs`).
fn load(env: rustler::Env, _info: rustler::Term) -> bool {
    text::open_segmenter_type(env)
}

rustler::init!("Elixir.Aybiza.Native", load = load);
