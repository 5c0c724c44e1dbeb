//! Atoms shared by the NIF modules.

rustler::atoms! {
    ok,
    error,
    nil,
    aybiza_bedrock,
    aybiza_bedrock_span,
    observer,
    message_start,
    first_token,
    text,
    sentence,
    thinking_started,
    thinking,
    tool_use,
    stop_reason,
    usage,
    done,
    before_stream,
    mid_stream,
}
