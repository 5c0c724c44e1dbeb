# Speech-to-speech with Nova Sonic (run by `bin/demo --speech [input.wav] [reply.wav]`).
#
# Streams a 16 kHz mono 16-bit WAV into a session in real time (32 ms frames), ends the turn,
# prints every event with its time, and writes the model's reply audio to a WAV file.
# Without AWS credentials it runs against the embedded local Bedrock emulator (its TLS
# listener: the bidirectional stream is HTTP/2); with AWS_ACCESS_KEY_ID / AWS_PROFILE it
# calls real Bedrock in AWS_REGION (default us-east-1). API keys do not work for this API.

alias Aybiza.Bedrock.Sonic

defmodule SpeechDemo.Wav do
  @moduledoc false

  # PCM 16-bit mono at 16 kHz from a WAV file (channels mixed down, resampled linearly).
  def read_pcm16k!(path) do
    decode!(File.read!(path))
  rescue
    e in [MatchError, FunctionClauseError, ArgumentError] ->
      raise "#{path} is not a 16-bit PCM WAV file (#{Exception.message(e) |> String.slice(0, 60)})"
  end

  defp decode!(wav) do
    <<"RIFF", _::little-32, "WAVE", rest::binary>> = wav
    {fmt, data} = chunks(rest, nil, nil)

    <<1::little-16, channels::little-16, rate::little-32, _::little-32, _::little-16,
      16::little-16, _::binary>> = fmt

    samples = for <<s::little-signed-16 <- data>>, do: s
    mono = samples |> Enum.chunk_every(channels) |> Enum.map(&div(Enum.sum(&1), length(&1)))
    mono |> resample(rate, 16_000) |> Enum.map_join(&<<&1::little-signed-16>>)
  end

  defp chunks(<<"fmt ", size::little-32, body::binary-size(size), rest::binary>>, _fmt, data),
    do: chunks(pad(rest, size), body, data)

  defp chunks(<<"data", size::little-32, rest::binary>>, fmt, _data) do
    size = min(size, byte_size(rest))
    <<body::binary-size(size), _::binary>> = rest
    {fmt, body}
  end

  defp chunks(<<_id::binary-4, size::little-32, rest::binary>>, fmt, data)
       when byte_size(rest) >= size do
    <<_::binary-size(size), rest::binary>> = rest
    chunks(pad(rest, size), fmt, data)
  end

  defp pad(rest, size) when rem(size, 2) == 1 and byte_size(rest) > 0,
    do: binary_part(rest, 1, byte_size(rest) - 1)

  defp pad(rest, _size), do: rest

  defp resample(samples, rate, rate), do: samples

  defp resample(samples, from, to) do
    tuple = List.to_tuple(samples)
    n = tuple_size(tuple)
    count = div(n * to, from)

    for i <- 0..(count - 1)//1 do
      pos = i * from / to
      j = trunc(pos)
      a = elem(tuple, min(j, n - 1))
      b = elem(tuple, min(j + 1, n - 1))
      round(a + (b - a) * (pos - j))
    end
  end

  def write!(path, pcm, rate) do
    header =
      <<"RIFF", 36 + byte_size(pcm)::little-32, "WAVE", "fmt ", 16::little-32, 1::little-16,
        1::little-16, rate::little-32, rate * 2::little-32, 2::little-16, 16::little-16, "data",
        byte_size(pcm)::little-32>>

    File.write!(path, [header, pcm])
  end

  # A spoken question from espeak-ng when it is installed, else a 1.5 s voice-band tone
  # (the emulator answers any speech-like audio; real Bedrock needs real speech).
  def question!(path) do
    text = "Hi, what time does the store open tomorrow?"

    case System.find_executable("espeak-ng") do
      nil ->
        pcm =
          for i <- 0..23_999, into: <<>> do
            v =
              round(
                6000 * :math.sin(2 * :math.pi() * 220 * i / 16_000) *
                  :math.sin(:math.pi() * i / 24_000)
              )

            <<v::little-signed-16>>
          end

        write!(path, pcm, 16_000)
        "a synthesized 220 Hz tone (install espeak-ng for a spoken question)"

      espeak ->
        {_, 0} = System.cmd(espeak, ["-v", "en-us", "-s", "160", "-w", path, text])
        "espeak-ng: #{inspect(text)}"
    end
  end
end

{input, output} =
  case System.argv() do
    [input, output | _] -> {input, output}
    [input] -> {input, "sonic_reply.wav"}
    [] -> {nil, "sonic_reply.wav"}
  end

input =
  case input do
    nil ->
      path = Path.join(System.tmp_dir!(), "aybiza_sonic_question.wav")
      IO.puts("input: #{SpeechDemo.Wav.question!(path)} -> #{path}")
      path

    path ->
      path
  end

real_aws? =
  Enum.any?(
    ~w(AWS_ACCESS_KEY_ID AWS_PROFILE AWS_WEB_IDENTITY_TOKEN_FILE),
    &(System.get_env(&1) not in [nil, ""])
  )

{client_opts, where} =
  if real_aws? do
    region = System.get_env("AWS_REGION", "us-east-1")
    {[region: region, credentials: :default], "real Bedrock (#{region})"}
  else
    # The emulator does not recognise speech: a rule says what it "heard" and answers.
    {:ok, emulator} =
      Aybiza.Bedrock.Emulator.start_link(
        tls: true,
        rules: [
          %{
            transcript: "Hi, what time does the store open tomorrow?",
            reply: "Good question! We open at nine tomorrow morning."
          }
        ]
      )

    creds = Aybiza.Bedrock.Emulator.credentials(emulator)
    url = Aybiza.Bedrock.Emulator.tls_url(emulator)

    {[
       region: "us-east-1",
       endpoint: url,
       tls_ca: Aybiza.Bedrock.Emulator.ca_pem(emulator),
       credentials: {:static, creds.access_key_id, creds.secret_access_key}
     ], "the local Bedrock emulator at #{url}"}
  end

pcm = SpeechDemo.Wav.read_pcm16k!(input)
IO.puts("streaming #{Float.round(byte_size(pcm) / 32_000, 2)} s of 16 kHz audio to #{where}\n")

t0 = System.monotonic_time(:microsecond)

ms = fn ->
  "#{String.pad_leading(Integer.to_string(div(System.monotonic_time(:microsecond) - t0, 1000)), 6)} ms"
end

{:ok, session} =
  Sonic.start_session(
    client_opts ++
      [
        system_prompt:
          "You are a friendly store assistant on the phone. Answer in one or two short sentences.",
        voice: "matthew",
        endpointing_sensitivity: :medium
      ]
  )

# The caller: 32 ms frames in real time, then the end of the turn.
me = self()

spawn_link(fn ->
  for <<frame::binary-1024 <- pcm>> do
    :ok = Sonic.send_audio(session, frame)
    Process.sleep(32)
  end

  :ok = Sonic.end_turn(session)
  send(me, :sent)
end)

defmodule SpeechDemo.Loop do
  @moduledoc false

  def run(session, ms, audio, opts) do
    receive do
      :sent ->
        IO.puts("#{ms.()}  (caller audio sent, turn ended)")
        run(session, ms, audio, opts)

      {:aybiza_bedrock, ^session, {:audio, pcm}} ->
        if audio == [], do: IO.puts("#{ms.()}  first reply audio (#{byte_size(pcm)} bytes)")
        run(session, ms, [audio | pcm], opts)

      {:aybiza_bedrock, ^session, {:transcript, role, stage, text}} ->
        IO.puts("#{ms.()}  #{role} (#{stage}): #{text}")
        if role == :assistant and stage == :final, do: Sonic.close(session)
        run(session, ms, audio, opts)

      {:aybiza_bedrock, ^session, {:done, summary}} ->
        IO.puts(
          "#{ms.()}  done: #{summary.connections} connection(s), usage #{inspect(summary.usage)}"
        )

        # At the catalog's prices of the session's model (docs/SONIC.md, Cost).
        try do
          IO.puts(
            "#{ms.()}  cost: $#{:erlang.float_to_binary(Sonic.cost(summary) / 1.0e9, decimals: 6)}"
          )
        rescue
          e in ArgumentError -> IO.puts("#{ms.()}  cost: #{Exception.message(e)}")
        end

        IO.iodata_to_binary(audio)

      {:aybiza_bedrock, ^session, {:error, error}} ->
        IO.puts("#{ms.()}  error: #{Exception.message(error)}")
        IO.iodata_to_binary(audio)

      {:aybiza_bedrock, ^session, event} ->
        IO.puts("#{ms.()}  #{inspect(event, limit: 8)}")
        run(session, ms, audio, opts)
    after
      Keyword.fetch!(opts, :timeout) -> flunk_timeout(session, audio)
    end
  end

  defp flunk_timeout(session, audio) do
    IO.puts("no event for 20 s: closing")
    Sonic.close(session)
    IO.iodata_to_binary(audio)
  end
end

reply = SpeechDemo.Loop.run(session, ms, [], timeout: 20_000)
SpeechDemo.Wav.write!(output, reply, 24_000)
IO.puts("\nreply audio: #{Float.round(byte_size(reply) / 48_000, 2)} s at 24 kHz -> #{output}")
