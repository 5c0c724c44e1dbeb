//! Rust side of `bin/bench`. Every subcommand prints result rows as tab-separated
//! `section  metric  value  unit  note` lines on stdout (read by `bench/report.py`), and
//! progress on stderr.
//!
//! ```text
//! aybiza-bench corpus PATH BYTES                  write the spoken-style corpus
//! aybiza-bench rules PATH FAST_CHARS PACED_SECS FIRST_TOKEN_MS   emulator rules file
//! aybiza-bench segmenter PATH [MIN_SECS]          native Segmenter: whole text, 1..8-byte deltas
//! aybiza-bench events URL STREAMS PROMPT [both|floor|blockon]  raw SDK ConverseStream floor
//! aybiza-bench ttfs URL RUNS PROMPT FIRST_TOKEN_MS raw SDK time to first token / sentence
//! aybiza-bench engine URL STREAMS PROMPT         the engine (state, sentences) without the BEAM
//! aybiza-bench decode URL PROMPT [MIN_SECS [MIN_PASSES]]  decode floor: recorded bytes, no HTTP
//! aybiza-bench deltas URL PROMPT                 text deltas of one reply (a bare number)
//! ```
//!
//! URL is a running `bedrock-emulator` (default static test credentials).

mod corpus;
mod decode;
mod engine;
mod rules;
mod sdk;
mod segmenter;

use std::process::ExitCode;

/// One result row.
pub fn row(section: &str, metric: &str, value: f64, unit: &str, note: &str) {
    println!("{section}\t{metric}\t{value:.3}\t{unit}\t{note}");
}

/// CPU time (user + system, all threads) of this process so far, in microseconds.
/// /proc/self/stat counts in clock ticks (100 Hz on Linux), so runs must last seconds.
pub fn cpu_us() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesized command name: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) * 10_000.0
}

/// Value of a sorted sample at quantile `q` (nearest rank).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: aybiza-bench corpus PATH BYTES | rules PATH FAST_CHARS PACED_SECS FIRST_TOKEN_MS | segmenter PATH [MIN_SECS] | \
         events URL STREAMS PROMPT [both|floor|blockon] | ttfs URL RUNS PROMPT FIRST_TOKEN_MS | engine URL STREAMS PROMPT | decode URL PROMPT [MIN_SECS [MIN_PASSES]] | deltas URL PROMPT"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    let num = |i: usize| arg(i).and_then(|v| v.parse::<u64>().ok());
    let result = match (arg(0), args.len()) {
        (Some("corpus"), 3) => match num(2) {
            Some(bytes) => corpus::write(&args[1], bytes as usize),
            None => return usage(),
        },
        (Some("rules"), 5) => match (num(2), num(3), num(4)) {
            (Some(f), Some(p), Some(ms)) => rules::write(&args[1], f as usize, p as usize, ms),
            _ => return usage(),
        },
        (Some("segmenter"), 2 | 3) => {
            let secs = arg(2).and_then(|v| v.parse().ok()).unwrap_or(1.0);
            segmenter::run(&args[1], secs)
        }
        (Some("events"), 4 | 5) => match num(2) {
            Some(n) => sdk::events(&args[1], n as usize, &args[3], arg(4).unwrap_or("both")),
            None => return usage(),
        },
        (Some("engine"), 4) => match num(2) {
            Some(n) => engine::events(&args[1], n as usize, &args[3]),
            None => return usage(),
        },
        (Some("deltas"), 3) => sdk::deltas(&args[1], &args[2]),
        (Some("decode"), 3..=5) => {
            let secs = arg(3).and_then(|v| v.parse().ok()).unwrap_or(1.0);
            decode::run(&args[1], &args[2], secs, num(4).unwrap_or(1))
        }
        (Some("ttfs"), 5) => match (num(2), num(4)) {
            (Some(n), Some(ms)) => sdk::ttfs(&args[1], n as usize, &args[3], ms),
            _ => return usage(),
        },
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("aybiza-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
