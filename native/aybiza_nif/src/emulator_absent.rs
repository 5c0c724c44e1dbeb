//! A NIF built without the `emulator` feature (a host app's :prod dependency build): starting
//! the embedded emulator says why it is missing and how to get it. The other emulator NIFs
//! need a handle from a start, so they are never reached.

use rustler::{Encoder, Env, Term};

mod atoms {
    rustler::atoms! { error }
}

/// What `Aybiza.Bedrock.Emulator` reports when the NIF has no emulator.
const ABSENT: &str = "the embedded Bedrock emulator is not in this build of the aybiza_bedrock \
NIF (built without the cargo feature `emulator`, the default for a :prod dependency build); \
rebuild with AYBIZA_NIF_EMULATOR=1, or run the standalone bedrock-emulator";

#[rustler::nif]
fn emulator_start<'a>(env: Env<'a>, _config: Term<'a>) -> Term<'a> {
    (atoms::error(), ABSENT).encode(env)
}
