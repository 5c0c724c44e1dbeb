defmodule Aybiza.Bedrock.Recovery do
  # Deprecated name (before the turn folder layout): every function delegates to
  # `Aybiza.Bedrock.Turn.Relay`. Kept so host apps that call it keep compiling, with a warning.
  @moduledoc false

  @deprecated "Use Aybiza.Bedrock.Turn.Relay.registry/0 (the relay moved into the turn folder)"
  defdelegate registry(), to: Aybiza.Bedrock.Turn.Relay

  @deprecated "Use Aybiza.Bedrock.Turn.Relay.start/1 (the relay moved into the turn folder)"
  defdelegate start(plan), to: Aybiza.Bedrock.Turn.Relay

  @deprecated "Use Aybiza.Bedrock.Turn.Relay.cancel/1 (the relay moved into the turn folder)"
  defdelegate cancel(ref), to: Aybiza.Bedrock.Turn.Relay

  @deprecated "Use Aybiza.Bedrock.Turn.Relay.lookup/1 (the relay moved into the turn folder)"
  defdelegate lookup(ref), to: Aybiza.Bedrock.Turn.Relay

  @deprecated "Use Aybiza.Bedrock.Turn.Relay.continuation_request/3 (the relay moved into the turn folder)"
  defdelegate continuation_request(request, delivered_text, mode), to: Aybiza.Bedrock.Turn.Relay

  @deprecated "Use Aybiza.Bedrock.Turn.Relay.continuation_mode/3 (the relay moved into the turn folder)"
  defdelegate continuation_mode(model_id, request, setting), to: Aybiza.Bedrock.Turn.Relay

  @deprecated "Use Aybiza.Bedrock.Turn.Relay.sentence_key/1 (the relay moved into the turn folder)"
  defdelegate sentence_key(text), to: Aybiza.Bedrock.Turn.Relay
end
