# One voice turn, streamed into this BEAM process sentence by sentence (run by bin/demo).
#
# Without AWS credentials it starts the embedded local Bedrock emulator (realistic pacing);
# with AWS_ACCESS_KEY_ID / AWS_PROFILE / AWS_BEARER_TOKEN_BEDROCK it calls real Bedrock in
# AWS_REGION (default us-east-1) with AYBIZA_DEMO_MODEL.

real_aws? =
  Enum.any?(
    ~w(AWS_ACCESS_KEY_ID AWS_PROFILE AWS_BEARER_TOKEN_BEDROCK AWS_WEB_IDENTITY_TOKEN_FILE),
    &(System.get_env(&1) not in [nil, ""])
  )

{client_opts, where} =
  if real_aws? do
    region = System.get_env("AWS_REGION", "us-east-1")

    credentials =
      case System.get_env("AWS_BEARER_TOKEN_BEDROCK") do
        key when key not in [nil, ""] -> {:api_key, key}
        _ -> :default
      end

    {[region: region, endpoint: nil, credentials: credentials], "real Bedrock (#{region})"}
  else
    {:ok, emulator} =
      Aybiza.Bedrock.Emulator.start_link(pacing: [first_token_ms: 250, tps: 45, delta_chars: 6])

    creds = Aybiza.Bedrock.Emulator.credentials(emulator)

    {[
       region: "us-east-1",
       endpoint: Aybiza.Bedrock.Emulator.url(emulator),
       credentials: {:static, creds.access_key_id, creds.secret_access_key}
     ], "the local Bedrock emulator at #{Aybiza.Bedrock.Emulator.url(emulator)}"}
  end

model = System.get_env("AYBIZA_DEMO_MODEL", "us.anthropic.claude-haiku-4-5-20251001-v1:0")

question =
  "Hi, I'd like to book a repair visit for my router. What are my options and what does it cost?"

IO.puts("aybiza_bedrock demo: one voice turn against #{where}")
IO.puts("model: #{model}")
IO.puts("caller: #{question}\n")

t0 = System.monotonic_time(:microsecond)
warm = Aybiza.Bedrock.warm(client_opts)

IO.puts(
  "warm connection: #{inspect(warm)} (#{div(System.monotonic_time(:microsecond) - t0, 1000)} ms)\n"
)

request = %{
  model_id: model,
  system: [
    %{text: "You are a friendly phone agent for an internet provider. Speak in short sentences."}
  ],
  messages: [%{role: :user, content: question}],
  inference_config: %{max_tokens: 400, temperature: 0.3}
}

start = System.monotonic_time(:microsecond)
{:ok, ref} = Aybiza.Bedrock.stream(request, client_opts)
ms = fn -> (System.monotonic_time(:microsecond) - start) / 1000 end

loop = fn loop ->
  receive do
    {:aybiza_bedrock, ^ref, {:first_token, us}} ->
      IO.puts(:io_lib.format("[~8.1f ms] first token (engine: ~.1f ms)", [ms.(), us / 1000]))
      loop.(loop)

    {:aybiza_bedrock, ^ref, {:sentence, seq, text}} ->
      IO.puts(:io_lib.format("[~8.1f ms] sentence ~b -> TTS: ~ts", [ms.(), seq, text]))
      loop.(loop)

    {:aybiza_bedrock, ^ref, {:done, summary}} ->
      IO.puts(:io_lib.format("[~8.1f ms] done", [ms.()]))
      {:ok, summary}

    {:aybiza_bedrock, ^ref, {:error, error}} ->
      {:error, error}

    {:aybiza_bedrock, ^ref, _other} ->
      loop.(loop)
  after
    60_000 -> {:error, :timeout}
  end
end

case loop.(loop) do
  {:ok, summary} ->
    t = summary.timings
    cost = summary.cost
    IO.puts("\nsummary:")
    IO.puts("  model #{summary.model_id} in #{summary.region}, request id #{summary.request_id}")
    IO.puts("  stop reason #{inspect(summary.stop_reason)}, #{summary.sentences} sentences")

    IO.puts(
      "  first byte #{t.first_byte_us / 1000} ms, first token #{t.first_token_us / 1000} ms, " <>
        "first sentence #{t.first_sentence_us / 1000} ms, total #{t.total_us / 1000} ms"
    )

    IO.puts("  usage #{inspect(summary.usage)}")

    if cost,
      do:
        IO.puts(
          "  cost #{cost.display} (#{cost.nanodollars} nanodollars, estimated: #{cost[:estimated?]})"
        )

    IO.puts("  live streams now: #{Aybiza.Bedrock.live_streams()}")

  {:error, error} ->
    IO.puts(:stderr, "stream failed: #{Exception.message(error)}")
    System.halt(1)
end
