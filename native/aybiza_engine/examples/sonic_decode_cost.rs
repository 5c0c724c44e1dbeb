//! Instruction counts of the library's per-audio-event work, for BENCHMARKS.md (issue 15):
//!
//!     valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \
//!         target/release/examples/sonic_decode_cost 2000 [tree]
//!     callgrind_annotate --inclusive=yes /tmp/cg.out | grep decode_
//!
//! Decodes `n` Nova Sonic `audioOutput` events of 40 ms at 24 kHz (1,920 PCM bytes, the
//! emulator's chunk) with `sonic_protocol::decode_output`, the call the session makes for each
//! chunk the SDK hands it. Prints the PCM bytes seen so the work is not optimised away.

use aybiza_engine::sonic_protocol::{decode_output, decode_tree, Output};
use base64::Engine;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let pcm: Vec<u8> = (0..1920u32).map(|i| (i * 7 % 251) as u8).collect();
    let event = serde_json::json!({"event": {"audioOutput": {
        "content": base64::engine::general_purpose::STANDARD.encode(&pcm),
        "contentId": "3f1c6a52-9a0e-4b8e-8d1e-2b7c4f0a9e11",
        "role": "ASSISTANT"}}})
    .to_string()
    .into_bytes();
    // `tree` measures the JSON-tree decoder the audio events went through before.
    let tree = std::env::args().nth(2).as_deref() == Some("tree");
    let mut total = 0usize;
    for _ in 0..n {
        let event = std::hint::black_box(&event);
        let decoded = if tree {
            decode_tree(event)
        } else {
            decode_output(event)
        };
        match decoded {
            Ok(Output::Audio { pcm, .. }) => total += pcm.len(),
            other => panic!("not audio: {other:?}"),
        }
    }
    println!("{n} events, {total} PCM bytes");
}
