//! Settings of the Nova Sonic bidirectional route (InvokeModelWithBidirectionalStream): the
//! connection limit, turn detection and the pace of the synthesized reply audio.

use serde::{Deserialize, Serialize};

/// The service closes a bidirectional connection after 8 minutes: "The response is returned
/// in a stream that remains open for 8 minutes" (the operation's documentation in the
/// bedrock-runtime service model, botocore `data/bedrock-runtime/*/service-2.json`; also
/// https://strandsagents.com/docs/user-guide/sdk/bidirectional-streaming/models/bedrock/).
pub const DEFAULT_CONNECTION_LIMIT_MS: u64 = 8 * 60 * 1000;

/// How the emulated Nova Sonic listens and speaks. Every field has a default; tests scale the
/// connection limit and the audio pace down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SonicSettings {
    /// Connection limit from the start of the stream; then a `validationException` frame ends it.
    #[serde(alias = "connectionLimitMs")]
    pub connection_limit_ms: u64,
    /// Silence after speech that ends the caller's turn (audio time of silent frames, or wall
    /// time without voiced frames). Scaled by `endpointingSensitivity` (HIGH 0.5, LOW 1.5).
    #[serde(alias = "turnSilenceMs")]
    pub turn_silence_ms: u64,
    /// Voiced audio needed before a turn can end (shorter bursts are noise).
    #[serde(alias = "minSpeechMs")]
    pub min_speech_ms: u64,
    /// RMS amplitude (16-bit PCM) from which a frame counts as speech.
    #[serde(alias = "speechThreshold")]
    pub speech_threshold: u16,
    /// Reply audio length per character of the reply text.
    #[serde(alias = "msPerChar")]
    pub ms_per_char: u64,
    /// Duration of one `audioOutput` chunk.
    #[serde(alias = "audioChunkMs")]
    pub audio_chunk_ms: u64,
    /// Playback speed of the reply: chunks go out every `audio_chunk_ms / speed` ms (1.0 =
    /// real time); the model "speaks" (and can be barged in on) while they go out.
    pub speed: f64,
    /// Reply audio is a tone (true) or silence (false).
    pub tone: bool,
}

impl Default for SonicSettings {
    fn default() -> Self {
        SonicSettings {
            connection_limit_ms: DEFAULT_CONNECTION_LIMIT_MS,
            turn_silence_ms: 600,
            min_speech_ms: 100,
            speech_threshold: 500,
            ms_per_char: 60,
            audio_chunk_ms: 40,
            speed: 1.0,
            tone: true,
        }
    }
}

impl SonicSettings {
    /// Checks ranges (a zero chunk or speed would never finish speaking).
    pub fn validate(&self) -> Result<(), String> {
        if self.audio_chunk_ms == 0 || self.audio_chunk_ms > 10_000 {
            return Err("sonic.audio_chunk_ms must be in 1..=10000".into());
        }
        if !(self.speed.is_finite() && self.speed > 0.0 && self.speed <= 1000.0) {
            return Err("sonic.speed must be in (0, 1000]".into());
        }
        if self.ms_per_char > 1_000 {
            return Err("sonic.ms_per_char must be at most 1000".into());
        }
        if self.connection_limit_ms == 0 {
            return Err("sonic.connection_limit_ms must be positive".into());
        }
        Ok(())
    }
}
