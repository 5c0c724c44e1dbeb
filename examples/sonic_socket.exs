# How a Phoenix Channel or LiveView process owns a Nova Sonic session, without Phoenix: a
# plain GenServer stands in for the channel, and a plain process for the browser socket.
#
#     mix run examples/sonic_socket.exs
#
# runs one spoken turn against the embedded emulator (its TLS listener: the bidirectional
# stream is HTTP/2).
#
# The shape, in a real channel:
#
#   * `join/3` (or LiveView `mount/3` when connected) starts the session with `to: self()`;
#     the session is monitored by the library, so when the channel process exits (the browser
#     left) the session and its HTTP/2 stream are freed;
#   * `handle_in("audio", {:binary, pcm}, socket)` calls `Sonic.send_audio/2`: a queue push
#     that never blocks the channel; on `{:error, %{reason: :overloaded}}` drop the frame;
#   * `handle_info({:aybiza_bedrock, session, {:audio, pcm}}, socket)` pushes the audio back
#     (`push(socket, "audio", {:binary, pcm})`); `:barge_in` pushes a "flush" so the browser
#     stops what it has buffered; transcripts go to the page as text;
#   * `terminate/2` calls `Sonic.close/1` (optional: the monitor frees the session anyway).

defmodule Examples.SonicChannel do
  use GenServer

  alias Aybiza.Bedrock.Sonic

  # `socket` is the process standing in for the browser: it gets {:push, event, payload}.
  def start_link(socket, session_opts),
    do: GenServer.start_link(__MODULE__, {socket, session_opts})

  # What `handle_in("audio", {:binary, pcm}, socket)` would do.
  def audio_in(channel, pcm), do: GenServer.cast(channel, {:audio_in, pcm})
  def stop_talking(channel), do: GenServer.cast(channel, :stop_talking)
  def hang_up(channel), do: GenServer.cast(channel, :hang_up)

  @impl true
  def init({socket, session_opts}) do
    case Sonic.start_session(Keyword.put(session_opts, :to, self())) do
      {:ok, session} -> {:ok, %{socket: socket, session: session, dropped: 0}}
      {:error, error} -> {:stop, error}
    end
  end

  @impl true
  def handle_cast({:audio_in, pcm}, state) do
    case Sonic.send_audio(state.session, pcm) do
      :ok -> {:noreply, state}
      # Live audio: a frame that cannot be queued is dropped, not buffered without bound.
      {:error, %{reason: :overloaded}} -> {:noreply, %{state | dropped: state.dropped + 1}}
      {:error, error} -> {:stop, {:shutdown, error}, state}
    end
  end

  def handle_cast(:stop_talking, state) do
    _ = Sonic.end_turn(state.session)
    {:noreply, state}
  end

  # The session then ends with {:done, summary}, pushed as "ended".
  def handle_cast(:hang_up, state) do
    Sonic.close(state.session)
    {:noreply, state}
  end

  @impl true
  def handle_info({:aybiza_bedrock, session, event}, %{session: session} = state) do
    case event do
      {:audio, pcm} -> push(state, "audio", pcm)
      :barge_in -> push(state, "flush", nil)
      {:transcript, role, :final, text} -> push(state, "transcript", {role, text})
      {:done, summary} -> push(state, "ended", summary.transcript)
      {:error, error} -> push(state, "failed", Exception.message(error))
      _other -> :ok
    end

    case event do
      {terminal, _} when terminal in [:done, :error] -> {:stop, :normal, state}
      _ -> {:noreply, state}
    end
  end

  @impl true
  def terminate(_reason, state), do: Sonic.close(state.session)

  defp push(state, event, payload), do: send(state.socket, {:push, event, payload})
end

if Code.ensure_loaded?(Mix) and Mix.env() != :test and
     System.get_env("AYBIZA_EXAMPLE_NO_RUN") == nil do
  alias Aybiza.Bedrock.Emulator

  {:ok, emulator} = Emulator.start_link(tls: true)
  creds = Emulator.credentials(emulator)

  opts = [
    region: "us-east-1",
    endpoint: Emulator.tls_url(emulator),
    tls_ca: Emulator.ca_pem(emulator),
    credentials: {:static, creds.access_key_id, creds.secret_access_key},
    system_prompt: "You are a helpful assistant."
  ]

  {:ok, channel} = Examples.SonicChannel.start_link(self(), opts)

  # One second of a voice-band tone in 32 ms frames, as a browser would send it.
  for frame <- 0..30 do
    pcm =
      for i <- 0..511, into: <<>> do
        t = frame * 512 + i
        <<round(5000 * :math.sin(2 * :math.pi() * 200 * t / 16_000))::little-signed-16>>
      end

    Examples.SonicChannel.audio_in(channel, pcm)
    Process.sleep(32)
  end

  Examples.SonicChannel.stop_talking(channel)

  Stream.repeatedly(fn ->
    receive do
      {:push, "audio", pcm} -> {:audio, byte_size(pcm)}
      {:push, event, payload} -> {event, payload}
    after
      15_000 -> {"timeout", nil}
    end
  end)
  |> Enum.reduce_while(0, fn
    {:audio, n}, bytes ->
      {:cont, bytes + n}

    {"transcript", {role, text}}, bytes ->
      IO.puts("#{role}: #{text}")
      if role == :assistant, do: Examples.SonicChannel.hang_up(channel)
      {:cont, bytes}

    {event, payload}, bytes when event in ["ended", "failed", "timeout"] ->
      IO.puts("#{event}: #{inspect(payload, limit: 5)}; #{bytes} bytes of reply audio pushed")
      {:halt, bytes}

    {event, _}, bytes ->
      IO.puts("push #{event}")
      {:cont, bytes}
  end)
end
