defmodule Aybiza.Bedrock.Sonic do
  @moduledoc """
  Speech-to-speech with Amazon Nova Sonic over Bedrock's `InvokeModelWithBidirectionalStream`
  (one HTTP/2 event stream per connection): PCM from the caller in, PCM speech, transcripts,
  tool calls and barge-in signals out, as messages to a BEAM process.

      {:ok, session} =
        Aybiza.Bedrock.Sonic.start_session(
          region: "us-east-1",
          voice: "matthew",
          system_prompt: "You are a friendly phone agent. Keep answers short.",
          tools: [weather_tool]
        )

      :ok = Aybiza.Bedrock.Sonic.send_audio(session, pcm_16k_frame)

      receive do
        {:aybiza_bedrock, ^session, {:audio, pcm_24k}} -> play(pcm_24k)
        {:aybiza_bedrock, ^session, :barge_in} -> flush_playback()
      end

  The protocol's events (`sessionStart`, `promptStart` with the voice, audio output and tool
  configuration, `contentStart` / `audioInput` | `textInput` | `toolResult` / `contentEnd`,
  `promptEnd`, `sessionEnd`), their ids and their order are built in Rust; the caller never
  writes them. See docs/SONIC.md.

  ## Events

  The receiver (`:to`, default the caller) gets `{:aybiza_bedrock, session, event}`:

    * `:session_started` — the stream is open;
    * `{:transcript, :user | :assistant, :speculative | :final, text}` — what the model heard
      (user, final) and what it says (assistant: a speculative preview before the audio, then
      the final text of what was actually spoken);
    * `{:audio, pcm}` — 16-bit little-endian mono PCM at `:output_sample_rate` (24 kHz by
      default), in the chunks the model sent;
    * `{:tool_use, %{id: id, name: name, input: map}}` — with `:tools`, the tool runs and its
      result goes back by itself; without a matching tool, answer with `send_tool_result/3`;
    * `:barge_in` — the model heard the caller over its own speech and stopped: flush the
      audio not yet played (the model runs faster than real time, so some is buffered);
    * `{:usage, map}` — token counts of the session so far (`:input_speech_tokens`,
      `:input_text_tokens`, `:output_speech_tokens`, `:output_text_tokens`, `:input_tokens`,
      `:output_tokens`, `:total_tokens`; all connections summed);
    * `{:content_end, %{type: :audio | :text | :tool, role: role, stop_reason: reason}}` —
      a block of the model ended (`:end_turn`, `:tool_use`, `:interrupted`, `:partial_turn`);
    * `{:reconnected, n}` — the connection was renewed (the service closes one after about
      8 minutes; see `:reconnect_after`); the conversation so far went along as history;
    * exactly one terminal: `{:done, summary}` after `close/1`, or `{:error, %Aybiza.Error{}}`.

  The summary: `:model_id`, `:region`, `:request_ids`, `:connections`, `:usage`,
  `:transcript` (`[{role, text}]` of final texts), `:audio_in_bytes`, `:audio_out_bytes`,
  `:barge_ins`, `:tool_uses`, `:stop_reason`, `:first_audio_us`, `:total_us` (price the
  usage with `cost/2`).

  ## Back-pressure

  `send_audio/3` copies the frame into a bounded queue (`:input_queue` commands, 128 by
  default: four seconds of 32 ms frames) and returns; it never blocks a scheduler. The
  session takes a frame from the queue only when the HTTP/2 stream has room, so if Bedrock
  or the network reads slower than audio arrives the queue fills and `send_audio/3` answers
  `{:error, %Aybiza.Error{reason: :overloaded}}`: drop the frame (live audio) or retry it.

  ## Lifetime

  `close/1` ends the session in protocol order, lets the model finish (at most
  `:close_timeout` ms) and delivers `{:done, summary}`. The session is also stopped, and its
  stream freed, when the receiver exits (a monitor) and when a message cannot be delivered
  (every message carries the session, so the monitor, not garbage collection, is what frees
  an orphaned session); `live_sessions/0` counts running sessions
  (they are in `Aybiza.Bedrock.live_streams/0` too). After `end_turn/1`, `send_text/2` or a
  tool result the model must start speaking within `:response_timeout` ms, or the session
  ends with `{:error, %Aybiza.Error{reason: :model_timeout}}`.

  ## Credentials

  SigV4 only: Bedrock API keys do not work for `InvokeModelWithBidirectionalStream`, so an
  `{:api_key, _}` credential is refused with `:invalid_credentials` before any network.
  """

  alias Aybiza.Bedrock.{Config, Options, Telemetry, Tool}
  alias Aybiza.Bedrock.Turn.ToolRound
  alias Aybiza.{Error, Native}

  @typedoc "A running session (the tag of its messages)."
  @type session :: reference()

  @default_model "amazon.nova-2-sonic-v1:0"

  @session_opts [
    :to,
    :model,
    :voice,
    :input_sample_rate,
    :output_sample_rate,
    :system_prompt,
    :history,
    :tools,
    :run_tools,
    :tool_context,
    :inference,
    :endpointing_sensitivity,
    :reconnect_after,
    :response_timeout,
    :input_queue,
    :close_timeout
  ]

  @doc """
  Opens a session. Options: the client options of `Aybiza.Bedrock` (`:region`, `:endpoint`,
  `:credentials`, `:timeouts`, `:tls_ca`) and

    * `:to` — the receiver of the events (default `self()`);
    * `:model` — a speech-to-speech model of the catalog (`models/0`; an id or alias):
      `"amazon.nova-2-sonic-v1:0"` (default), `"amazon.nova-2-5-sonic"`.
      `"amazon.nova-sonic-v1:0"` reached end of life on September 14, 2026
      (`:model_end_of_life`); a text model is refused (`:invalid_request`). The models are
      served in-Region only, in the regions the catalog lists (Nova 2 Sonic: us-east-1,
      us-west-2, eu-north-1, ap-northeast-1; `:invalid_region` elsewhere);
    * `:voice` — a voice id (default `"matthew"`);
    * `:input_sample_rate` — 16000 (default) or 8000; `:output_sample_rate` — 24000
      (default), 16000 or 8000 (the model's `speech.input_rates` / `speech.output_rates`);
    * `:system_prompt` — a string;
    * `:history` — earlier turns, `[%{role: :user | :assistant, text: text}]` or
      `[{role, text}]`, sent once after the system prompt;
    * `:tools` — `[%Aybiza.Bedrock.Tool{}]`: offered to the model and run when it asks, with
      the tool's approval and timeout; their results are sent back by themselves.
      `:tool_context` is passed to them as `context.context`; `run_tools: false` offers them
      without running them: answer each `{:tool_use, ...}` with `send_tool_result/3`;
    * `:inference` — `[max_tokens: 1024, top_p: 0.9, temperature: 0.7]`;
    * `:endpointing_sensitivity` — `:high`, `:medium` or `:low` (Nova 2 Sonic's turn
      detection: how soon after the caller stops the model answers);
    * `:reconnect_after` — ms after which the connection is renewed (default 420000: 7
      minutes, before the service's ~8-minute limit; renewed when the model is not speaking,
      no tool runs and the caller is not talking, or up to 30 s later regardless);
    * `:response_timeout` — ms (default 15000), `:input_queue` (default 128),
      `:close_timeout` — ms (default 2000).

  Bad values come back as `{:error, %Aybiza.Error{}}` before any network; an unknown option
  or a value of the wrong type raises `ArgumentError`.
  """
  @spec start_session(keyword()) :: {:ok, session()} | {:error, Error.t()}
  def start_session(opts) when is_list(opts) do
    opts = opts |> Options.keyword!() |> Config.seal_credentials()
    {session_opts, client_opts} = Keyword.split(opts, @session_opts)
    Options.validate!(session_opts, @session_opts, "Aybiza.Bedrock.Sonic option")
    to = Keyword.get(session_opts, :to, self())

    unless is_pid(to) and node(to) == node() do
      raise ArgumentError, ":to must be a local pid, got #{Options.describe(to)}"
    end

    tools = tools!(Keyword.get(session_opts, :tools, []))

    with {:ok, config} <- Config.client_config(client_opts) do
      native_opts = native_options(session_opts, tools)
      run? = Keyword.get(session_opts, :run_tools, true)

      unless is_boolean(run?) do
        raise ArgumentError, ":run_tools must be a boolean, got #{Options.describe(run?)}"
      end

      # Without run_tools the companion only closes the span; the caller answers tool uses.
      tools = if run?, do: tools, else: nil
      meta = %{model_id: native_opts.model || @default_model, region: config.region}
      companion = start_companion(tools, to, session_opts, meta)

      case start_native(native_opts, config, to, companion) do
        {:ok, session} ->
          send(companion, {:session, session})
          {:ok, session}

        {:error, %Error{}} = error ->
          Process.exit(companion, :kill)
          error
      end
    end
  end

  def start_session(opts),
    do: raise(ArgumentError, "options must be a keyword list, got #{Options.describe(opts)}")

  defp start_native(native_opts, config, to, companion) do
    Native.sonic_start(native_opts, Config.native(config), to, companion)
  rescue
    # A NIF's exception carries its arguments (the plain configuration) in its top frame.
    e ->
      Process.exit(companion, :kill)
      reraise e, Options.without_arguments(__STACKTRACE__)
  end

  @doc "Like `start_session/1`; raises the `%Aybiza.Error{}`."
  @spec start_session!(keyword()) :: session()
  def start_session!(opts), do: ok!(start_session(opts))

  @doc """
  Queues one frame of 16-bit little-endian mono PCM at the session's input rate (~32 ms,
  e.g. 1024 bytes at 16 kHz). `rate: hz` checks the frame's rate. An odd byte count, an
  empty frame, more than one second of audio, a wrong rate or a closed session is
  `{:error, %Aybiza.Error{reason: :invalid_request}}`; a full queue `:overloaded`.
  """
  @spec send_audio(session(), binary(), keyword()) :: :ok | {:error, Error.t()}
  def send_audio(session, pcm, opts \\ [])

  def send_audio(session, pcm, opts) when is_reference(session) and is_binary(pcm) do
    rate =
      case Keyword.get(opts, :rate) do
        nil ->
          nil

        r when is_integer(r) and r > 0 ->
          r

        other ->
          raise ArgumentError, ":rate must be a positive integer, got #{Options.describe(other)}"
      end

    Native.sonic_send_audio(session, pcm, rate)
  end

  def send_audio(session, pcm, _opts), do: bad_args!(:send_audio, [session, pcm])

  @doc "Like `send_audio/3`; raises the `%Aybiza.Error{}`."
  @spec send_audio!(session(), binary(), keyword()) :: :ok
  def send_audio!(session, pcm, opts \\ []), do: ok!(send_audio(session, pcm, opts))

  @doc """
  Sends typed text as the caller's turn (Nova 2 Sonic only: other models answer
  `:invalid_request`). The model answers in speech.
  """
  @spec send_text(session(), String.t()) :: :ok | {:error, Error.t()}
  def send_text(session, text) when is_reference(session) and is_binary(text),
    do: Native.sonic_send_text(session, text)

  def send_text(session, text), do: bad_args!(:send_text, [session, text])

  @doc "Like `send_text/2`; raises the `%Aybiza.Error{}`."
  @spec send_text!(session(), String.t()) :: :ok
  def send_text!(session, text), do: ok!(send_text(session, text))

  @doc """
  Answers the model's `{:tool_use, %{id: id}}`: `result` is a string or a JSON-able term (a
  map, list, number...). An id the model is not waiting for is `:invalid_request`.
  """
  @spec send_tool_result(session(), String.t(), term()) :: :ok | {:error, Error.t()}
  def send_tool_result(session, id, result) when is_reference(session) and is_binary(id),
    do: Native.sonic_send_tool_result(session, id, result)

  def send_tool_result(session, id, result),
    do: bad_args!(:send_tool_result, [session, id, result])

  @doc "Like `send_tool_result/3`; raises the `%Aybiza.Error{}`."
  @spec send_tool_result!(session(), String.t(), term()) :: :ok
  def send_tool_result!(session, id, result), do: ok!(send_tool_result(session, id, result))

  @doc """
  Ends the caller's audio turn (push-to-talk released, end of a recording): the model
  answers now instead of waiting for silence. The next `send_audio/3` opens a new turn.
  Without an open audio turn: `:invalid_request`.
  """
  @spec end_turn(session()) :: :ok | {:error, Error.t()}
  def end_turn(session) when is_reference(session), do: Native.sonic_end_turn(session)
  def end_turn(session), do: bad_args!(:end_turn, [session])

  @doc "Like `end_turn/1`; raises the `%Aybiza.Error{}`."
  @spec end_turn!(session()) :: :ok
  def end_turn!(session), do: ok!(end_turn(session))

  @doc """
  Ends the session (the receiver then gets `{:done, summary}`). Idempotent; later calls on
  the session answer `:invalid_request` ("the session is closed").
  """
  @spec close(session()) :: :ok
  def close(session) when is_reference(session), do: Native.sonic_close(session)
  def close(session), do: bad_args!(:close, [session])

  @doc """
  The speech-to-speech models of the catalog (`Aybiza.Bedrock.Catalog` entries served on the
  `:bidirectional` API), each the catalog's model map with `speech: %{text_input:,
  endpointing:, input_rates:, output_rates:, prices:}` (`prices` `nil` when no published
  price was found) plus `eol_date` and `replacement` at the top. A model past its `eol_date`
  is refused with `:model_end_of_life`.
  """
  @spec models() :: [map()]
  def models, do: Native.sonic_models()

  @doc "Number of running sessions."
  @spec live_sessions() :: non_neg_integer()
  def live_sessions, do: Native.sonic_live_sessions()

  @price_kinds [
    {:input_speech_tokens, :speech_input},
    {:output_speech_tokens, :speech_output},
    {:input_text_tokens, :text_input},
    {:output_text_tokens, :text_output}
  ]

  @doc """
  The cost in nanodollars (integer) of a session's usage: a summary (`{:done, summary}`:
  its `:usage` at its `:model_id`'s prices) or a usage map (`{:usage, map}`, priced as
  `"amazon.nova-2-sonic-v1:0"` unless a model is given).

  Speech and text tokens are priced differently. The prices are the catalog's
  (`models/0`, `speech.prices`: USD per million tokens, cited in the catalog entry).
  `prices` may be a model id, or a map `%{speech_input:, speech_output:, text_input:,
  text_output:}` of USD per million tokens (numbers) that overrides the catalog's, key by
  key (e.g. a negotiated rate), with `:model` naming the model of a bare usage map. A model
  with no published price (Nova 2.5 Sonic) needs all four from the caller. Raises
  `ArgumentError` for an unknown or text model, a missing price, a negative
  or over-64-bit count, or a price too large to multiply.
  """
  @spec cost(map(), String.t() | map() | nil) :: non_neg_integer()
  def cost(usage_or_summary, prices \\ nil)

  # A model id prices a summary as that model, like a bare usage map.
  def cost(%{usage: usage, model_id: _}, model) when is_map(usage) and is_binary(model),
    do: price(usage, model, nil)

  def cost(%{usage: usage, model_id: model}, prices)
      when is_map(usage) and is_binary(model) and (is_map(prices) or is_nil(prices)) do
    price(usage, model, prices)
  end

  def cost(usage, model) when is_map(usage) and is_binary(model), do: price(usage, model, nil)

  def cost(usage, prices) when is_map(usage) and (is_map(prices) or is_nil(prices)) do
    model = if is_map(prices), do: Map.get(prices, :model, @default_model), else: @default_model
    price(usage, model, prices)
  end

  def cost(usage, prices) when is_map(usage) do
    raise ArgumentError,
          "prices must be nil, a model id or a map of USD per million tokens, got " <>
            Options.describe(prices)
  end

  defp price(usage, model, overrides) do
    nano = Map.merge(catalog_prices(model), caller_prices(overrides))

    femto_per_token =
      Enum.reduce(@price_kinds, 0, fn {count, kind}, acc ->
        tokens = Map.get(usage, count, 0)

        # Bedrock's counts are 64-bit; a bignum count is a caller's mistake.
        unless is_integer(tokens) and tokens >= 0 and tokens < 0x8000000000000000 do
          raise ArgumentError,
                "usage counts must be non-negative 64-bit integers, got #{inspect(tokens, limit: 5, printable_limit: 40)}"
        end

        case Map.fetch(nano, kind) do
          {:ok, per_mtok} ->
            acc + tokens * per_mtok

          :error when tokens == 0 ->
            acc

          :error ->
            raise ArgumentError,
                  "no published #{kind} price for #{model} in the catalog: pass prices " <>
                    "(%{speech_input:, speech_output:, text_input:, text_output:}, USD/MTok)"
        end
      end)

    # tokens * nanodollars per million tokens / 1e6, rounded half up once.
    div(femto_per_token + 500_000, 1_000_000)
  end

  defp catalog_prices(model) do
    spec =
      Enum.find(Native.sonic_models(), fn m -> m.id == model or model in m.aliases end) ||
        raise ArgumentError,
              "#{inspect(model)} is not a speech-to-speech model of the catalog " <>
                "(Aybiza.Bedrock.Sonic.models/0)"

    case spec.speech.prices do
      nil -> %{}
      p -> Map.new(p, fn {kind, %{nanodollars_per_mtok: n}} -> {kind, n} end)
    end
  end

  defp caller_prices(nil), do: %{}

  defp caller_prices(prices) do
    for {_, kind} <- @price_kinds, Map.has_key?(prices, kind), into: %{} do
      usd = Map.fetch!(prices, kind)

      unless is_number(usd) and usd >= 0 do
        raise ArgumentError, "prices must be non-negative numbers (USD per million tokens)"
      end

      {kind, nanodollars_per_mtok!(usd)}
    end
  end

  # A float past 1.0e308 / 1e9 overflows: a caller's mistake, not an ArithmeticError.
  defp nanodollars_per_mtok!(usd) do
    round(usd * 1_000_000_000)
  rescue
    ArithmeticError ->
      reraise ArgumentError, "prices are too large to price", __STACKTRACE__
  end

  # --- options ---

  defp native_options(opts, tools) do
    %{
      model: opts[:model],
      voice: opts[:voice],
      input_sample_rate: opts[:input_sample_rate],
      output_sample_rate: opts[:output_sample_rate],
      system_prompt: opts[:system_prompt],
      history: history!(Keyword.get(opts, :history, [])),
      tools:
        Enum.map(tools, fn t ->
          %{name: t.name, description: t.description, input_schema: t.input_schema}
        end),
      inference: inference!(Keyword.get(opts, :inference)),
      endpointing_sensitivity: sensitivity!(opts[:endpointing_sensitivity]),
      reconnect_after_ms: opts[:reconnect_after],
      response_timeout_ms: opts[:response_timeout],
      input_queue: opts[:input_queue],
      close_timeout_ms: opts[:close_timeout]
    }
  end

  defp history!(list) when is_list(list) do
    proper_list!(list, :history)

    Enum.map(list, fn
      %{role: role, text: text} ->
        %{role: role_name!(role), text: text}

      {role, text} ->
        %{role: role_name!(role), text: text}

      other ->
        raise ArgumentError,
              ":history entries are %{role:, text:}, got #{Options.describe(other)}"
    end)
  end

  defp history!(other),
    do: raise(ArgumentError, ":history must be a list, got #{Options.describe(other)}")

  defp role_name!(role) when role in [:user, :assistant], do: Atom.to_string(role)
  # Anything else is left for the engine to refuse with a clear :invalid_request.
  defp role_name!(role) when is_binary(role), do: role
  defp role_name!(role), do: inspect(role)

  defp proper_list!(list, name) do
    length(list)
  rescue
    ArgumentError -> reraise ArgumentError, ":#{name} must be a proper list", __STACKTRACE__
  end

  defp inference!(nil), do: nil

  defp inference!(opts) when is_list(opts) or is_map(opts) do
    opts = Map.new(opts)
    Options.validate!(Map.to_list(opts), [:max_tokens, :top_p, :temperature], ":inference option")
    opts
  end

  defp inference!(other),
    do: raise(ArgumentError, ":inference must be a keyword list, got #{Options.describe(other)}")

  defp sensitivity!(nil), do: nil
  defp sensitivity!(s) when s in [:high, :medium, :low], do: Atom.to_string(s)
  defp sensitivity!(s) when is_binary(s), do: s

  defp sensitivity!(other),
    do:
      raise(
        ArgumentError,
        ":endpointing_sensitivity must be :high, :medium or :low, got #{Options.describe(other)}"
      )

  defp tools!(tools) when is_list(tools) do
    proper_list!(tools, :tools)

    Enum.each(tools, fn
      %Tool{} ->
        :ok

      other ->
        raise ArgumentError,
              ":tools must be %Aybiza.Bedrock.Tool{} structs, got #{Options.describe(other)}"
    end)

    tools
  end

  defp tools!(other),
    do: raise(ArgumentError, ":tools must be a list, got #{Options.describe(other)}")

  # --- the companion: one small process per session that runs its tools and closes its
  # telemetry span. The NIF tells it about tool uses and the terminal; it monitors the
  # receiver, whose exit ends the session (reason :cancelled) even when no terminal can be
  # delivered any more.

  defp start_companion(tools, owner, opts, meta) do
    by_name = if tools, do: Map.new(tools, &{&1.name, &1})
    context = Keyword.get(opts, :tool_context)
    spawn(fn -> companion(by_name, owner, context, meta) end)
  end

  defp companion(tools, owner, context, meta) do
    # Its tool tasks are linked: one that fails must not take the span and the other tools
    # with it (their :DOWN is handled in the loop).
    Process.flag(:trap_exit, true)
    ref = Process.monitor(owner)

    receive do
      {:session, session} ->
        start = System.monotonic_time()
        meta = Map.put(meta, :session, session)

        Telemetry.execute(
          [:aybiza_bedrock, :sonic, :start],
          %{system_time: System.system_time(), monotonic_time: start},
          meta
        )

        span = %{start: start, meta: meta}
        companion_loop(session, tools, ref, context, %{}, span)

      {:DOWN, ^ref, _, _, _} ->
        :ok
    end
  end

  # At most this many of a session's tools run at once; further tool uses wait their turn
  # (a model asking for dozens at once must not start dozens of database calls).
  @max_running_tools 8

  defp companion_loop(session, tools, owner_ref, context, running, span) do
    loop(%{
      session: session,
      tools: tools,
      owner_ref: owner_ref,
      context: context,
      running: running,
      waiting: :queue.new(),
      span: span
    })
  end

  defp loop(%{session: session, running: running, owner_ref: owner_ref, span: span} = st) do
    receive do
      {:aybiza_bedrock, ^session, {:tool_use, %{id: _, name: _, input: _} = use}}
      when is_map(st.tools) ->
        loop(start_tools(%{st | waiting: :queue.in(use, st.waiting)}))

      # run_tools: false: the receiver answers it.
      {:aybiza_bedrock, ^session, {:tool_use, _}} ->
        loop(st)

      {ref, _result} when is_map_key(running, ref) ->
        Process.demonitor(ref, [:flush])
        loop(start_tools(%{st | running: Map.delete(running, ref)}))

      {:DOWN, ref, _, _, _} when is_map_key(running, ref) ->
        loop(start_tools(%{st | running: Map.delete(running, ref)}))

      {:EXIT, _pid, _reason} ->
        loop(st)

      {:aybiza_bedrock, ^session, {:done, summary}} ->
        stop_tasks(running)
        usage = summary.usage

        Telemetry.execute(
          [:aybiza_bedrock, :sonic, :stop],
          %{
            duration: System.monotonic_time() - span.start,
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            audio_in_bytes: summary.audio_in_bytes,
            audio_out_bytes: summary.audio_out_bytes
          },
          Map.merge(span.meta, %{connections: summary.connections, barge_ins: summary.barge_ins})
        )

      {:aybiza_bedrock, ^session, {:error, %Error{reason: reason}}} ->
        stop_tasks(running)
        exception(span, reason)

      {:DOWN, ^owner_ref, _, _, _} ->
        stop_tasks(running)
        exception(span, :cancelled)
    end
  end

  defp start_tools(st) do
    with true <- map_size(st.running) < @max_running_tools,
         {{:value, use}, waiting} <- :queue.out(st.waiting) do
      task =
        run_tool(st.session, Map.get(st.tools, use.name), use.id, use.name, use.input, st.context)

      start_tools(%{st | running: Map.put(st.running, task.ref, task), waiting: waiting})
    else
      _ -> st
    end
  end

  defp exception(span, reason) do
    Telemetry.execute(
      [:aybiza_bedrock, :sonic, :exception],
      %{duration: System.monotonic_time() - span.start},
      Map.put(span.meta, :reason, reason)
    )
  end

  defp stop_tasks(running),
    do: Enum.each(running, fn {_, task} -> Task.shutdown(task, :brutal_kill) end)

  # One task per tool use, so tools of one turn run side by side; each answers the model
  # with its result, an error text (denied, raised, unknown tool, a result that is not
  # JSON or too large) or a timeout. Whatever the tool does (kill itself, take a linked
  # process down, return any term), the model gets an answer and the runner lives on: the
  # task traps the exit of the tool's process, and a result the session refuses is replaced
  # by an error text.
  defp run_tool(session, tool, id, name, input, context) do
    Task.async(fn ->
      Process.flag(:trap_exit, true)

      result =
        try do
          tool_result(tool, id, name, input, context)
        rescue
          _ -> %{"error" => "the tool's result could not be read"}
        end

      case Native.sonic_send_tool_result(session, id, result) do
        # Refused (not JSON, too large, invalid UTF-8...): the model still gets an answer,
        # our own error text, which the session takes. (If the session is closed or the id
        # no longer pending, that fails too, harmlessly.)
        {:error, %Error{reason: :invalid_request, message: message}} ->
          refused = %{"error" => "the tool's result was refused: " <> message}
          if result != refused, do: Native.sonic_send_tool_result(session, id, refused)

        other ->
          other
      end
    end)
  end

  defp tool_result(nil, _id, name, _input, _context),
    do: %{"error" => "unknown tool #{inspect(name, printable_limit: 100)}"}

  defp tool_result(%Tool{} = tool, id, name, input, context) do
    # The model's input is checked against the tool's schema first, as on the turn path.
    case Tool.validate_input(tool, input) do
      :ok -> run_checked(tool, id, name, input, context)
      {:error, message} -> %{"error" => "invalid input: " <> message}
    end
  end

  defp run_checked(tool, id, name, input, context) do
    ctx = %{tool_use_id: id, name: name, round: 1, context: context}
    inner = Task.async(fn -> Tool.invoke(tool, input, ctx) end)

    outcome = Task.yield(inner, tool.timeout) || Task.shutdown(inner, :brutal_kill)
    ToolRound.flush_exit(inner.pid)

    case outcome do
      {:ok, {:ok, value}} ->
        # The same conversion and JSON check as a turn's tool rounds (bounded, iterative).
        case Tool.result_content(value) do
          [%{text: text}] ->
            text

          [%{json: json}] = content ->
            case ToolRound.check_json(content) do
              :ok -> json
              {:error, why} -> %{"error" => why}
            end
        end

      {:ok, {:error, text}} when is_binary(text) ->
        %{"error" => text}

      {:ok, {:error, other}} ->
        %{"error" => Tool.reason_text(other)}

      {:exit, reason} ->
        # Only the shape of the exit reason: it could hold anything the tool had.
        %{"error" => "tool exited: #{exit_shape(reason)}"}

      nil ->
        %{"error" => "tool timed out after #{tool.timeout} ms"}
    end
  end

  defp exit_shape(reason) when is_atom(reason), do: inspect(reason)
  defp exit_shape({:shutdown, _}), do: "shutdown"
  defp exit_shape(_reason), do: "crashed"

  defp ok!(:ok), do: :ok
  defp ok!({:ok, value}), do: value
  defp ok!({:error, %Error{} = e}), do: raise(e)

  defp bad_args!(fun, args) do
    raise ArgumentError,
          "invalid arguments to Aybiza.Bedrock.Sonic.#{fun}: " <>
            Enum.map_join(args, ", ", &Options.describe/1)
  end
end
