//! `bedrock-emulator`: runs the local Bedrock Runtime emulator until killed.

use std::io::Write;
use std::process::ExitCode;

/// One line to stdout; a reader that went away (a closed pipe) does not stop the server,
/// where `println!` would panic.
fn say(line: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let _ = out
        .write_fmt(line)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
}

use bedrock_emulator::{parse_faults, parse_pacing, rules_from_json, Emulator, EmulatorConfig};

const HELP: &str = "\
bedrock-emulator: local Amazon Bedrock Runtime (Converse, ConverseStream, InvokeModel,
InvokeModelWithResponseStream, CountTokens, Nova Sonic's InvokeModelWithBidirectionalStream
over HTTP/2 with --tls) and the Anthropic Messages API
(/anthropic/v1/messages, bedrock-runtime and bedrock-mantle styles, SSE) for tests and demos.

USAGE: bedrock-emulator [OPTIONS]

OPTIONS:
  --host HOST               interface to bind (default 127.0.0.1)
  --port PORT               port to bind (default 0 = any free port)
  --access-key-id KEY       accepted access key id (default AKIAIOSFODNN7EXAMPLE)
  --secret-access-key KEY   its secret (default wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY)
  --api-key KEY             also accept `Authorization: Bearer KEY`
  --no-verify               do not check SigV4 signatures
  --pacing SPEC             e.g. first_token_ms=200,tps=50,delta_chars=12
  --faults SPEC             e.g. throttle=0.2 | exception=throttlingException@3 | reset@5
                            | stall@5 | corrupt@5 | error=ServiceUnavailableException
                            | rpm=600,tpm=2000000 (ThrottlingException above a rate per
                            model and Region; rate_burst_ms=N, rate_per=instance)
  --rules FILE              JSON array of rules (scripted replies, per-rule pacing/faults)
  --guardrails FILE         JSON array of guardrails that exist ({id, versions,
                            blocked_input_messaging, blocked_outputs_messaging})
  --application-profiles FILE  JSON array of application inference profiles that exist
                            ({id, name, model_source: a catalog model or system profile})
  --model ID                accept an extra model id (repeatable; no catalog rules)
  --tls                     also serve HTTPS (HTTP/1.1 + HTTP/2) with a CA generated at start
  --tls-port PORT           port of the TLS listener (default 0 = any free port)
  --tls-name NAME           extra DNS name / IP in the certificate (repeatable)
  --ca-out FILE             write the CA certificate (PEM) to FILE (with --tls)
  --threads N               worker threads of the server's tokio runtime (default 2; 1
                            costs less CPU per paced event, see docs/EMULATOR.md)
  --pacing-tick-ms MS       pace streams by one shared clock of MS ms (every stream due
                            in a tick is woken in one pass) instead of a timer per
                            stream; 0 = a timer per stream (the default)
  --sonic JSON              Nova Sonic route settings, e.g. '{\"connection_limit_ms\": 5000,
                            \"turn_silence_ms\": 300, \"speed\": 4}' (see docs/EMULATOR.md)
  -h, --help                show this help

Prints `listening on http://HOST:PORT` once bound (and `tls listening on https://HOST:PORT`
with --tls), then `temporary credentials: KEY SECRET TOKEN`. Control endpoints (no auth):
GET /_emulator/counters, POST /_emulator/faults|pacing|rules|reset.
";

/// Options of the binary itself (not of the emulator's configuration).
struct BinOptions {
    ca_out: Option<String>,
    threads: usize,
}

fn parse_args(args: &[String], bin: &mut BinOptions) -> Result<Option<EmulatorConfig>, String> {
    let mut config = EmulatorConfig::default();
    let mut i = 0;
    while i < args.len() {
        let flag = args[i].as_str();
        let (flag, inline) = match flag.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (flag, None),
        };
        let mut value = || -> Result<String, String> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            i += 1;
            args.get(i)
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag {
            "-h" | "--help" => return Ok(None),
            "--host" => config.host = value()?,
            "--port" => config.port = value()?.parse().map_err(|_| "bad --port".to_string())?,
            "--access-key-id" => config.access_key_id = value()?,
            "--secret-access-key" => config.secret_access_key = value()?,
            "--api-key" => config.api_key = Some(value()?),
            "--no-verify" => config.verify_signatures = false,
            "--pacing" => config.pacing = parse_pacing(&value()?)?,
            "--faults" | "--fault" => config.faults = parse_faults(&value()?)?,
            "--model" => config.extra_models.push(value()?),
            "--tls" => config.tls = true,
            "--tls-port" => {
                config.tls_port = value()?.parse().map_err(|_| "bad --tls-port".to_string())?
            }
            "--tls-name" => config.tls_names.push(value()?),
            "--ca-out" => bin.ca_out = Some(value()?),
            "--threads" => {
                bin.threads = match value()?.parse() {
                    Ok(n) if (1..=256).contains(&n) => n,
                    _ => return Err("bad --threads (1 to 256)".to_string()),
                }
            }
            "--pacing-tick-ms" => {
                config.pacing_tick_ms = match value()?.parse() {
                    Ok(ms) if ms <= 1000 => ms,
                    _ => return Err("bad --pacing-tick-ms (0 to 1000)".to_string()),
                }
            }
            "--guardrails" => {
                let path = value()?;
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
                config.guardrails =
                    serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
            }
            "--application-profiles" => {
                let path = value()?;
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
                config.application_profiles =
                    serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
                bedrock_emulator::validate_application_profiles(&config.application_profiles)?;
            }
            "--rules" => {
                let path = value()?;
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
                let json = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
                config.rules = rules_from_json(json)?;
            }
            "--sonic" => {
                let json = serde_json::from_str(&value()?).map_err(|e| format!("--sonic: {e}"))?;
                config.sonic = serde_json::from_value(json).map_err(|e| format!("--sonic: {e}"))?;
                config.sonic.validate()?;
            }
            other => return Err(format!("unknown option {other} (see --help)")),
        }
        i += 1;
    }
    Ok(Some(config))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut bin = BinOptions {
        ca_out: None,
        threads: 2,
    };
    let config = match parse_args(&args, &mut bin) {
        Ok(Some(c)) => c,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("bedrock-emulator: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(bin.threads)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bedrock-emulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        match Emulator::start(config).await {
            Ok(emulator) => {
                say(format_args!("listening on {}", emulator.url()));
                if let Some(tls) = emulator.tls_url() {
                    say(format_args!("tls listening on {tls}"));
                }
                if let (Some(path), Some(pem)) = (&bin.ca_out, emulator.ca_pem()) {
                    if let Err(e) = std::fs::write(path, pem) {
                        eprintln!("bedrock-emulator: {path}: {e}");
                        return ExitCode::FAILURE;
                    }
                }
                let t = emulator.temporary_credentials();
                say(format_args!(
                    "temporary credentials: {} {} {}",
                    t.access_key_id, t.secret_access_key, t.session_token
                ));
                let _ = tokio::signal::ctrl_c().await;
                emulator.shutdown().await;
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("bedrock-emulator: cannot bind: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
