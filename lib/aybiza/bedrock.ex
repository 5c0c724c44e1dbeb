defmodule Aybiza.Bedrock do
  @moduledoc """
  Claude (and other models) on AWS Bedrock for live voice calls.

  Calls go through a Rust engine (the official AWS SDK on one shared tokio runtime) that
  signs, streams and decodes the Bedrock event stream, cuts the text into sentences as it
  arrives and sends each event straight to your process. No scheduler is ever blocked.

  ## Requests

  A request is a map shaped like the Bedrock Converse API. Keys may be atoms or strings, in
  snake_case or camelCase (`max_tokens` or `"maxTokens"`); JSON you own (tool schemas, tool
  input, `additional_model_request_fields`) passes through unchanged.

      %{
        model_id: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        system: [%{text: "You are a helpful voice agent."}, %{cache_point: %{type: "default"}}],
        messages: [%{role: :user, content: [%{text: "When do you open tomorrow?"}]}],
        inference_config: %{max_tokens: 512, temperature: 0.3},
        tool_config: %{tools: [%{tool_spec: %{name: "lookup", description: "...",
                                              input_schema: %{json: %{"type" => "object"}}}}],
                       tool_choice: :auto},
        additional_model_request_fields: %{"top_k" => 250},
        performance_config: %{latency: :optimized},
        guardrail_config: %{guardrail_identifier: "gr1", guardrail_version: "1",
                            trace: "enabled", stream_processing_mode: "sync"},
        request_metadata: %{"call_id" => "c-42"}
      }

  Content blocks: `%{text: s}`, `%{image: %{format: :png | :jpeg | :gif | :webp, bytes: bin}}`,
  `%{document: %{format: :pdf | :txt | ..., name: s, bytes: bin}}`,
  `%{tool_use: %{tool_use_id: id, name: s, input: map}}`,
  `%{tool_result: %{tool_use_id: id, content: [%{text: s} | %{json: map}], status: :success | :error}}`,
  `%{reasoning_content: %{text: s, signature: s}}`, `%{cache_point: %{type: "default"}}`,
  `%{guard_content: %{text: %{text: s, qualifiers: ["grounding_source" | "query" |
  "guard_content"]}}}` (also in `system`: with guard content, the guardrail evaluates only
  those blocks; Converse only, refused on the Messages API). `guardrail_config` values are
  checked against Bedrock's patterns (identifier: an id or a guardrail ARN; version: `"DRAFT"`
  or 1-99999999; `trace`: `"enabled" | "disabled" | "enabled_full"`;
  `stream_processing_mode`: `"sync" | "async"`) before any network.
  `content: "text"` is short for `[%{text: "text"}]`. A malformed request returns
  `{:error, %Aybiza.Error{reason: :invalid_request}}` whose message names the field path,
  e.g. `messages[2].content[0].image.format`, before anything touches the network.

  The model catalog's rules apply before the network too (`docs/CATALOG.md`, "Lifecycle and
  pre-flight rules"): the model id must follow Bedrock's id / profile / ARN grammar; an
  end-of-life model returns `{:error, %Aybiza.Error{reason: :model_end_of_life}}` naming its
  replacement (a Legacy one logs one warning per model); a base id Bedrock serves only through
  an inference profile is sent as the profile of the configured region (`anthropic.claude-sonnet-4-6`
  from `eu-west-1` goes out as `eu.anthropic.claude-sonnet-4-6`; the summary's `:model_id` says
  which); `temperature` with `top_p` on models that refuse the pair, sampling parameters on
  models that take none (Claude Opus 4.7 and later) and a thinking type the model lacks are
  `:invalid_request`.

  ## Client options

    * `:region` - AWS region (validated: a crafted value never reaches a hostname).
      Default: `config :aybiza_bedrock, :region`, then `AWS_REGION`, then `"us-east-1"`.
    * `:endpoint` - `nil` (real Bedrock), an `http(s)://host[:port]` URL, or `:emulator`
      (the embedded `Aybiza.Bedrock.Emulator`). Default: `config :aybiza_bedrock, :endpoint`.
    * `:credentials` - see `Aybiza.Bedrock.Credentials`. Default: `:default`.
    * `:timeouts` - keyword of milliseconds: `:connect` (3_000), `:first_byte` (10_000),
      `:idle` (gap between events, 10_000), `:total` (120_000). Each expiry is its own
      error reason.
    * `:tls_ca` - PEM certificates trusted besides the platform's roots for an `https://`
      endpoint (e.g. `Aybiza.Bedrock.Emulator.ca_pem/1` of an emulator started with
      `tls: true`, or a TLS-inspecting proxy's CA). Checked before any network: a bundle
      that does not parse is `:invalid_config`. Default: `config :aybiza_bedrock, :tls_ca`.

  ## Limits

  Every request is checked in Rust before anything is signed or sent; a request over a limit
  returns `{:error, %Aybiza.Error{reason: :invalid_request}}` whose message names the field
  path, the limit and its key (e.g. `messages[0].content[1].text: the text (9000000 bytes)
  exceeds the limit of 8388608 (max_text_bytes, ...)`). Terms are converted without
  recursion, so a nested term of any depth is an error, never a crash. Defaults, and the range
  each may be set to with the `:limits` option (a keyword list or map, per call) or
  `config :aybiza_bedrock, :limits, [...]` (per-call values win):

    * `:max_depth` - nesting of maps and lists, the request being level 1: 64 (8..100).
    * `:max_request_bytes` - the request's size as JSON, binaries as base64: 20 MiB
      (Bedrock's 20 MB payload limit; 1 KiB..100 MiB).
    * `:max_items` - values (scalars, maps, lists) in the request: 1,000,000.
    * `:max_text_bytes` - one text block: 8 MiB (more than a 1M-token context holds).
    * `:max_image_bytes` / `:max_images_per_message` - 3.75 MiB / 20 (Bedrock's).
    * `:max_document_bytes` / `:max_documents_per_message` - 4.5 MiB / 5 (Bedrock's).
    * `:max_messages` - 10,000. `:max_model_id_bytes` - 2048 (Bedrock's).
    * `:max_tool_schema_bytes` - one tool's input schema as JSON: 1 MiB.

  Improper lists, tuples, pids, integers beyond 64 bits and map keys that are neither atoms
  nor UTF-8 strings are `:invalid_request` errors naming the path. Credentials with
  characters that cannot go into an HTTP header (spaces, control characters, non-ASCII) are
  `:invalid_credentials` errors naming the field, never its value.

  Streaming calls run with SDK retries off: the policy layer (`Aybiza.AWS.BedrockClient`)
  decides about retries and fallback, and SDK retries would multiply with ours.
  Non-streaming calls use the SDK's standard retry mode (3 attempts).
  """

  alias Aybiza.{Error, Native}
  alias Aybiza.Bedrock.{Config, MessagesApi, Options}

  @typedoc "The handle of a running stream; messages are tagged with it."
  @type stream_ref :: reference()

  @typedoc "An event of the message protocol, see `stream/2`."
  @type event ::
          :message_start
          | :thinking_started
          | {:text, String.t()}
          | {:sentence, non_neg_integer(), String.t()}
          | {:thinking, String.t()}
          | {:tool_use, %{id: String.t(), name: String.t(), input: map()}}
          | {:first_token, non_neg_integer()}
          | {:stop_reason, atom()}
          | {:usage, map()}
          | {:guardrail_trace, map()}
          | {:done, map()}
          | {:error, Error.t()}

  # The engine's MAX_COALESCE_WINDOW (native/aybiza_engine/src/call.rs).
  @max_coalesce_us 50_000

  @stream_opts [
    :to,
    :sentences,
    :operation,
    :backend,
    :limits,
    :api,
    :messages_endpoint,
    :exact_token_counts,
    :coalesce_us,
    :telemetry,
    :trace_timings
  ]

  @doc false
  # Every option `stream/2` takes (client options included), for layers that pass options
  # through (e.g. `Aybiza.AWS.BedrockClient`'s `:client_opts`) and check them up front.
  @spec option_names() :: [atom()]
  def option_names, do: Config.client_option_names() ++ @stream_opts

  @doc """
  Starts a streaming call (ConverseStream) and returns `{:ok, ref}` at once.

  The receiver (the caller, or `to: pid`) then gets messages `{:aybiza_bedrock, ref, event}`:

    * `:message_start` - the model started its answer.
    * `{:first_token, microseconds}` - time from the call to the first text or tool token.
    * `{:text, delta}` - text as it arrives (the deltas of one network read joined; see
      `:coalesce_us` below).
    * `{:sentence, seq, text}` - each finished sentence (`seq` from 0), cut in Rust the
      moment its end is certain; ready for text-to-speech. Thinking text and tool JSON
      never become sentences.
    * `:thinking_started` then `{:thinking, delta}` - extended-thinking text (never speech).
    * `{:tool_use, %{id: id, name: name, input: map}}` - a tool call, its input decoded when
      its block stops.
    * `{:stop_reason, reason}` - `:end_turn`, `:tool_use`, `:max_tokens`, `:stop_sequence`,
      `:guardrail_intervened`, `:content_filtered`.
    * `{:usage, %{input_tokens: _, output_tokens: _, total_tokens: _,
      cache_read_input_tokens: _, cache_write_input_tokens: _}}`, plus
      `cache_details: [%{input_tokens: _, ttl: "5m" | "1h"}]` when Bedrock split a
      ConverseStream cache write by TTL (Claude); `summary.cost` prices each at its rate.
    * `{:guardrail_trace, trace}` - with a `guardrail_config` whose `trace` is enabled: the
      guardrail's assessment, string keys in snake_case: `"input_assessment"` (guardrail id
      -> assessment) for a blocked prompt, `"model_output"` and `"output_assessments"`
      (guardrail id -> assessments) for a blocked answer, `"action_reason"`; each assessment
      holds the policies that reported (`"topic_policy"`, `"content_policy"`,
      `"word_policy"`, `"sensitive_information_policy"`, `"contextual_grounding_policy"`,
      `"automated_reasoning_policy"` as a finding count) and `"invocation_metrics"`. Also in
      the summary as `:guardrail_trace` (the key is absent when no trace came).

  and then exactly one terminal message:

    * `{:done, summary}` - `summary` holds `:model_id`, `:region`, `:request_id`,
      `:stop_reason`, `:usage`, `:text` (the whole answer), `:content` (the assistant
      message's blocks as maps with string keys, e.g. `%{"text" => ...}`,
      `%{"tool_use" => %{...}}`, `%{"reasoning_content" => %{"text" => ..., "signature" => ...}}`,
      ready to send back unchanged on the next turn), `:sentences` (count), `:cost` (nanodollars, `estimated?`) and `:timings`
      (`:first_byte_us`, `:first_token_us`, `:first_sentence_us`, `:total_us`).
    * `{:error, %Aybiza.Error{}}` - see `Aybiza.Error`; mid-stream errors carry what was
      already delivered.

  The stream stops (its tokio task ends and its HTTP connection is released) when
  `cancel/1` is called (then one terminal `{:error, %Aybiza.Error{reason: :cancelled}}`
  follows), when the receiving process exits (the engine monitors it), or when a message
  cannot be delivered. The handle's destructor cancels too, as a last resort; note that every
  message carries `ref`, so the handle stays reachable while the stream still runs, and the
  monitor is what frees an orphaned stream. `live_streams/0` counts running calls.

  Options: the client options of this module plus `:to` (receiver pid), `:sentences`
  (`true` or `:sentence` for sentence mode, `:voice` for the voice preset, `false`, or
  segmenter options as for `Aybiza.Bedrock.Text.new_segmenter/1`), `:limits` (see "Limits"
  above), `:api` and `:messages_endpoint` (see `Aybiza.Bedrock.MessagesApi`: models the catalog
  serves on the Anthropic Messages API, such as Claude Opus 4.7, stream over SSE from
  `/anthropic/v1/messages` with the same events; `api: :converse | :messages` forces one),
  and `:exact_token_counts` (`false` by default; `true`: when a stream ends without usage
  from Bedrock, e.g. cancelled or cut off, the engine asks CountTokens for the request's
  exact input tokens before the terminal message, so the estimated cost's input side is
  exact; this adds one round trip before that terminal), and `:coalesce_us` (default `0`).
  Text deltas of one content block that the engine decodes from one network read, or that
  the connection already holds when the engine yields to its runtime once, arrive as one
  `{:text, delta}` message (their text joined, in order): fewer messages, no wait for a
  timer or the network.
  `:coalesce_us` (`0..50_000`) also lets text wait up to that many microseconds for more
  text of its block before it is sent, to cut messages further when deltas come in quick
  succession. Either way the joined text is the same, a `{:sentence, ...}` comes right after
  the text it was cut from (held text goes out first), and tool calls, usage, stop reasons
  and the terminal message are never held behind text or merged.
  `:telemetry` (default `true`; `config :aybiza_bedrock, stream_telemetry: false` turns the
  default off): the call is a `[:aybiza_bedrock, :raw_stream, _]` telemetry span (`:start` in
  the calling process, then exactly one `:stop` or `:exception`, emitted by the
  `Aybiza.Bedrock.StreamSpan` process when the engine tells it how the call ended: done,
  error, cancel and receiver exit included; see `Aybiza.Bedrock.Telemetry`). Events still go
  straight from the engine to the receiver (no process in between); the engine sends one
  more small message per call, to that process. If it is not running (the application is not
  started, or it is restarting), calls work the same and have no span. `false`: no span.
  `:trace_timings` (default `false`; a diagnostic): `true` adds `:trace` to the summary's
  `:timings`, a map of the points the call reached on its way to the first sentence, each
  in `System.monotonic_time(:nanosecond)` (compare them with your own timestamps):
  `:entry` (the NIF entered), `:decoded` (the request decoded in the NIF), `:spawned`
  (converted, checked, its task spawned), `:task_start` (the task's first run on a runtime
  thread), `:client` (the SDK client, or for the Messages API the SigV4 credentials, at hand;
  absent with an API key), `:execution`, `:serialized`,
  `:signed`, `:transmit` (handed to the HTTP connection pool), `:headers` (the response
  headers arrived), `:response`, `:first_event`, `:first_text`, `:sentence_cut`,
  `:sentence_sent` (the first `{:sentence, 0, _}` sent). `:execution` is reached by the
  SDK's streams only (Converse and InvokeModel, not the Messages API);
  `:first_text` is the first token (a text or tool-input delta), as `:first_token_us` counts it.

      {:ok, ref} = Aybiza.Bedrock.stream(request)

      receive do
        {:aybiza_bedrock, ^ref, {:sentence, _seq, text}} -> speak(text)
      end
  """
  @spec stream(map(), keyword()) :: {:ok, stream_ref()} | {:error, Error.t()}
  def stream(request, opts \\ [])

  def stream(request, opts) when is_map(request) and is_list(opts) do
    {stream_opts, client_opts} = Keyword.split(keyword!(opts), @stream_opts)

    stream_opts =
      Options.validate!(
        stream_opts,
        [
          to: self(),
          sentences: true,
          operation: :converse_stream,
          backend: nil,
          limits: [],
          api: :auto,
          messages_endpoint: :runtime,
          exact_token_counts: false,
          coalesce_us: 0,
          telemetry: nil,
          trace_timings: false
        ],
        "Aybiza.Bedrock.stream/2 option"
      )

    telemetry? =
      case stream_opts[:telemetry] do
        nil ->
          Application.get_env(:aybiza_bedrock, :stream_telemetry, true) != false

        value when is_boolean(value) ->
          value

        other ->
          raise ArgumentError,
                ":telemetry must be a boolean, got: #{Aybiza.Bedrock.Options.shown(other)}"
      end

    {api, endpoint} = MessagesApi.validate!(stream_opts)
    exact? = stream_opts[:exact_token_counts]

    unless is_boolean(exact?) do
      raise ArgumentError,
            ":exact_token_counts must be a boolean, got: #{Aybiza.Bedrock.Options.shown(exact?)}"
    end

    coalesce_us = stream_opts[:coalesce_us]

    unless is_integer(coalesce_us) and coalesce_us in 0..@max_coalesce_us do
      raise ArgumentError,
            ":coalesce_us must be an integer in 0..#{@max_coalesce_us}, got: #{Aybiza.Bedrock.Options.shown(coalesce_us)}"
    end

    trace? = stream_opts[:trace_timings]

    unless is_boolean(trace?) do
      raise ArgumentError,
            ":trace_timings must be a boolean, got: #{Aybiza.Bedrock.Options.shown(trace?)}"
    end

    to = stream_opts[:to]

    # The NIF takes local pids only; its badarg would print its arguments (the plain client
    # configuration, secrets included) in the stacktrace.
    unless is_pid(to) and node(to) == node(),
      do: raise(ArgumentError, ":to must be a local pid, got #{Options.describe(to)}")

    operation = stream_opts[:operation]

    unless operation in [:converse_stream, :invoke_model_with_response_stream] do
      raise ArgumentError,
            ":operation must be :converse_stream or :invoke_model_with_response_stream, got: #{Aybiza.Bedrock.Options.shown(operation)}"
    end

    if operation == :invoke_model_with_response_stream and api == :messages do
      raise ArgumentError, "api: :messages takes a Converse-shaped request, not a raw model body"
    end

    native_opts = %{
      sentences: Config.segmenter_options!(stream_opts[:sentences]),
      limits: limits(stream_opts[:limits]),
      exact_token_counts: exact?,
      coalesce_us: coalesce_us
    }

    native_opts = if trace?, do: Map.put(native_opts, :trace_timings, true), else: native_opts
    # A Converse-shaped request's catalog lookup (`MessagesApi.select/2`) already logged the
    # Legacy warning: no second lookup after the start.
    warn_legacy? = operation != :converse_stream

    with {:ok, config} <- Config.client_config(client_opts),
         {:ok, operation} <- streaming_operation(operation, request, api, endpoint) do
      observer = if telemetry?, do: Aybiza.Bedrock.StreamSpan.observer()

      if observer do
        started = System.monotonic_time()
        metadata = %{model_id: span_model(request), region: config.region}

        with {:ok, ref} = ok <-
               start(
                 operation,
                 request,
                 config,
                 to,
                 Map.put(native_opts, :observer, observer),
                 warn_legacy?
               ) do
          Aybiza.Bedrock.StreamSpan.opened(ref, observer, metadata, started)
          ok
        end
      else
        start(operation, request, config, to, native_opts, warn_legacy?)
      end
    end
  end

  def stream(request, opts), do: bad_arguments!(request, opts)

  defp streaming_operation(:converse_stream, request, api, endpoint) do
    with {:ok, chosen} <- MessagesApi.select(request, api) do
      {:ok, MessagesApi.stream_operation(chosen, endpoint)}
    end
  end

  defp streaming_operation(operation, _request, _api, _endpoint), do: {:ok, operation}

  @doc """
  Streams over the Anthropic Messages API on Bedrock (SSE from `/anthropic/v1/messages`),
  whatever the catalog prefers: `stream(request, Keyword.put(opts, :api, :messages))`. Same
  request shape, options and events as `stream/2`; see `Aybiza.Bedrock.MessagesApi`.
  """
  @spec messages(map(), keyword()) :: {:ok, stream_ref()} | {:error, Error.t()}
  def messages(request, opts \\ [])

  def messages(request, opts) when is_map(request) and is_list(opts) do
    stream(request, Keyword.put(keyword!(opts), :api, :messages))
  end

  def messages(request, opts), do: bad_arguments!(request, opts)

  @doc "Like `messages/2` but returns the ref or raises `Aybiza.Error`."
  @spec messages!(map(), keyword()) :: stream_ref()
  def messages!(request, opts \\ []), do: unwrap!(messages(request, opts))

  @doc """
  The exact number of input tokens `request` (a Converse-shaped request) costs on its
  model, counted by Bedrock with the model's tokenizer: no inference, no charge. Converse
  models use bedrock-runtime `CountTokens`; models served on the Messages API (`:api`, as
  for `stream/2`) use its `count_tokens` on `:messages_endpoint` (AWS: Claude models launched
  cross-Region only have no runtime CountTokens). Takes the client options.

      {:ok, 1_204} = Aybiza.Bedrock.count_tokens(%{model_id: id, messages: messages})

  Bedrock answers `:validation` for models it cannot count (e.g. Nova, or an inference
  profile id where the base id is needed).
  """
  @spec count_tokens(map(), keyword()) :: {:ok, non_neg_integer()} | {:error, Error.t()}
  def count_tokens(request, opts \\ [])

  def count_tokens(request, opts) when is_map(request) and is_list(opts) do
    {api_opts, client_opts} = Keyword.split(keyword!(opts), [:api, :messages_endpoint, :backend])
    {api, endpoint} = MessagesApi.validate!(api_opts)

    with {:ok, chosen} <- MessagesApi.select(request, api),
         {:ok, result} <-
           call(MessagesApi.count_operation(chosen, endpoint), request, client_opts) do
      case result do
        %{body: %{"input_tokens" => n}} when is_integer(n) -> {:ok, n}
        _ -> {:error, Error.new(:protocol, "CountTokens returned no input token count")}
      end
    end
  end

  def count_tokens(request, opts), do: bad_arguments!(request, opts)

  @doc "Like `count_tokens/2` but raises `Aybiza.Error` on failure."
  @spec count_tokens!(map(), keyword()) :: non_neg_integer()
  def count_tokens!(request, opts \\ []), do: unwrap!(count_tokens(request, opts))

  @doc """
  Like `stream/2` but with InvokeModelWithResponseStream and a raw model body (for Anthropic
  models the Anthropic Messages body; `anthropic_version` is added when missing). Events are
  the same as for `stream/2`.
  """
  @spec invoke_model_stream(String.t(), map(), keyword()) ::
          {:ok, stream_ref()} | {:error, Error.t()}
  def invoke_model_stream(model_id, body, opts \\ [])

  def invoke_model_stream(model_id, body, opts)
      when is_binary(model_id) and is_map(body) and is_list(opts) do
    stream(
      %{model_id: model_id, body: body},
      Keyword.put(keyword!(opts), :operation, :invoke_model_with_response_stream)
    )
  end

  def invoke_model_stream(model_id, body, opts), do: bad_model_arguments!(model_id, body, opts)

  @doc """
  A non-streaming Converse call. Returns `{:ok, response}` with `:text`, `:content`,
  `:stop_reason`, `:usage`, `:cost`, `:timings`, `:model_id`, `:region`, `:request_id`.

  The call runs on the engine's runtime; the calling process waits in a `receive`, never
  blocking a scheduler. Options: the client options of this module, `:limits` (see
  "Limits"; `invoke_model/3` and `invoke_model_stream/3` take it too), and `:api` and
  `:messages_endpoint`, which select the API as for `stream/2`: a call on the Messages API
  streams and returns the collected answer in the same shape.
  """
  @spec converse(map(), keyword()) :: {:ok, map()} | {:error, Error.t()}
  def converse(request, opts \\ [])

  def converse(request, opts) when is_map(request) and is_list(opts) do
    {api_opts, client_opts} = Keyword.split(keyword!(opts), [:api, :messages_endpoint])
    {api, endpoint} = MessagesApi.validate!(api_opts)

    case MessagesApi.select(request, api) do
      {:ok, :converse} ->
        call(:converse, request, client_opts)

      {:ok, :messages} ->
        call(MessagesApi.stream_operation(:messages, endpoint), request, client_opts)

      {:error, _} = error ->
        error
    end
  end

  def converse(request, opts), do: bad_arguments!(request, opts)

  @doc "Like `converse/2` but raises `Aybiza.Error` on failure."
  @spec converse!(map(), keyword()) :: map()
  def converse!(request, opts \\ []), do: unwrap!(converse(request, opts))

  @doc """
  A non-streaming InvokeModel call with a raw model body; returns `{:ok, %{body: map, ...}}`.
  """
  @spec invoke_model(String.t(), map(), keyword()) :: {:ok, map()} | {:error, Error.t()}
  def invoke_model(model_id, body, opts \\ [])

  def invoke_model(model_id, body, opts)
      when is_binary(model_id) and is_map(body) and is_list(opts) do
    call(:invoke_model, %{model_id: model_id, body: body}, opts)
  end

  def invoke_model(model_id, body, opts), do: bad_model_arguments!(model_id, body, opts)

  @doc "Like `invoke_model/3` but raises `Aybiza.Error` on failure."
  @spec invoke_model!(String.t(), map(), keyword()) :: map()
  def invoke_model!(model_id, body, opts \\ []), do: unwrap!(invoke_model(model_id, body, opts))

  @doc """
  The events of a stream as an Elixir `Stream`. It ends after the terminal event
  (`{:done, summary}` or `{:error, error}`, both included). Halting the enumeration early
  cancels the call.

      request |> Aybiza.Bedrock.stream_events() |> Enum.each(&IO.inspect/1)
  """
  @spec stream_events(map(), keyword()) :: Enumerable.t()
  def stream_events(request, opts \\ []) do
    # Checked now, not at the first read: a later Keyword error would print the options.
    opts = keyword!(opts)

    Stream.resource(
      fn ->
        case stream(request, Keyword.put(opts, :to, self())) do
          {:ok, ref} -> {:running, ref}
          {:error, error} -> {:failed, error}
        end
      end,
      fn
        {:failed, error} ->
          {[{:error, error}], :finished}

        :finished ->
          {:halt, :finished}

        {:running, ref} = state ->
          receive do
            {:aybiza_bedrock, ^ref, {:done, _} = event} -> {[event], :finished}
            {:aybiza_bedrock, ^ref, {:error, _} = event} -> {[event], :finished}
            {:aybiza_bedrock, ^ref, event} -> {[event], state}
          end
      end,
      fn
        {:running, ref} ->
          cancel(ref)
          drain(ref)

        _ ->
          :ok
      end
    )
  end

  @doc """
  Cancels a stream (barge-in). Returns at once; the task stops at its next await point, within
  milliseconds, and the receiver then gets no further event except the one terminal
  `{:error, %Aybiza.Error{reason: :cancelled}}` (unless the stream had already ended).
  Idempotent. Messages already in the mailbox stay there (see `flush/1`). Any other
  reference is handed to `Aybiza.AWS.BedrockClient.cancel/1`: a turn's ref
  (`Aybiza.AWS.BedrockClient.generate_response/3`) is cancelled as it does, an unknown or ended one is left alone
  (so a barge-in that races the turn's end does not raise); a term that is no reference
  raises `ArgumentError`.
  """
  @spec cancel(stream_ref()) :: :ok
  def cancel(ref) when is_reference(ref) do
    Native.cancel(ref)
  rescue
    # Not a call handle: a turn's ref, from a caller who mixed up the two cancels.
    ArgumentError -> Aybiza.Bedrock.Turn.Relay.cancel(ref)
  end

  # The term is not echoed: a careless caller may pass anything, options with secrets too.
  def cancel(_ref), do: raise(ArgumentError, "cancel/1 expects a stream reference")

  # After a cancel the terminal `cancelled` error follows within milliseconds: consume it so
  # nothing of this stream is left in the mailbox.
  defp drain(ref) do
    receive do
      {:aybiza_bedrock, ^ref, {:done, _}} -> :ok
      {:aybiza_bedrock, ^ref, {:error, _}} -> :ok
      {:aybiza_bedrock, ^ref, _} -> drain(ref)
    after
      5_000 -> flush(ref)
    end
  end

  @doc "Removes every message of `ref` from the caller's mailbox."
  @spec flush(stream_ref()) :: :ok
  def flush(ref) do
    receive do
      {:aybiza_bedrock, ^ref, _} -> flush(ref)
    after
      0 -> :ok
    end
  end

  @doc """
  Opens the connection (TCP + TLS) to the region's endpoint ahead of the first turn, so the
  first call of a phone call pays no handshake: one in each engine thread's pool (the engine
  runs on `AYBIZA_BEDROCK_WORKERS` threads, by default the CPU count clamped to 2..8, each with
  its own pool, and a call may land on any of them; one shared pool with
  `AYBIZA_BEDROCK_RUNTIME=multi_thread`). Takes the client options; returns once the
  connections are pooled.
  """
  @spec warm(keyword()) :: :ok | {:error, Error.t()}
  def warm(opts \\ []) do
    with {:ok, config} <- Config.client_config(opts),
         {:ok, ref} <- wrap_native(native_warm(config)) do
      receive do
        {:aybiza_bedrock, ^ref, {:done, _}} -> :ok
        {:aybiza_bedrock, ^ref, {:error, error}} -> {:error, Error.from_native(error)}
      end
    end
  end

  @doc "Like `warm/1` but raises on failure."
  @spec warm!(keyword()) :: :ok
  def warm!(opts \\ []), do: unwrap!(warm(opts))

  @doc """
  Whether this node can talk to Bedrock now: credentials resolvable and accepted, the
  endpoint reachable (one CountTokens call: no inference, no charge), the state of every
  circuit breaker per model and region, and the live streams. See `Aybiza.Bedrock.Health`
  for the report and its options (client options plus `:model_id`, `:count_tokens`);
  `mix aybiza.check` prints it.
  """
  @spec health(keyword()) :: Aybiza.Bedrock.Health.report()
  def health(opts \\ []), do: Aybiza.Bedrock.Health.check(opts)

  @doc "The number of calls currently running in the engine (streams and non-streaming calls)."
  @spec live_streams() :: non_neg_integer()
  def live_streams, do: Native.live_streams()

  @doc "The model catalog (see `Aybiza.Bedrock.Catalog.models/0`)."
  @spec models() :: [map()]
  def models, do: Aybiza.Bedrock.Catalog.models()

  @doc """
  Resolves a model id, inference profile, ARN or alias (see `Aybiza.Bedrock.Catalog.get/1`).
  """
  @spec model(String.t()) :: {:ok, map()} | {:error, Error.t()}
  def model(model_id), do: Aybiza.Bedrock.Catalog.get(model_id)

  @doc "Like `model/1` but raises `Aybiza.Error`."
  @spec model!(String.t()) :: map()
  def model!(model_id), do: Aybiza.Bedrock.Catalog.get!(model_id)

  @doc """
  The exact cost of a call's usage on a model (see `Aybiza.Bedrock.Cost.calculate/2`); the
  `{:done, summary}` of every stream already carries it as `summary.cost`.
  """
  @spec cost(String.t(), map() | keyword()) ::
          {:ok, Aybiza.Bedrock.Cost.t()} | {:error, Error.t()}
  def cost(model_id, usage), do: Aybiza.Bedrock.Cost.calculate(model_id, usage)

  @doc "Like `cost/2` but raises `Aybiza.Error`."
  @spec cost!(String.t(), map() | keyword()) :: Aybiza.Bedrock.Cost.t()
  def cost!(model_id, usage), do: Aybiza.Bedrock.Cost.calculate!(model_id, usage)

  defp call(operation, request, opts) do
    # `:backend` is accepted (and ignored) so the Backend behaviour can pass options through.
    {call_limits, opts} = Keyword.pop(keyword!(opts), :limits, [])
    native_opts = %{sentences: false, limits: limits(call_limits)}

    with {:ok, config} <- Config.client_config(Keyword.delete(opts, :backend)),
         {:ok, ref} <- start(operation, request, config, self(), native_opts) do
      await(ref)
    end
  end

  defp await(ref) do
    receive do
      {:aybiza_bedrock, ^ref, {:done, result}} -> {:ok, result}
      {:aybiza_bedrock, ^ref, {:error, %Error{} = error}} -> {:error, error}
      {:aybiza_bedrock, ^ref, _progress} -> await(ref)
    end
  end

  # The app's `config :aybiza_bedrock, :limits` overridden by the call's `:limits`; the
  # engine validates names and ranges.
  defp limits(call_limits) when is_list(call_limits) or is_map(call_limits) do
    :aybiza_bedrock
    |> Application.get_env(:limits, [])
    |> Map.new()
    |> Map.merge(Map.new(call_limits))
  end

  defp limits(other) do
    raise ArgumentError,
          ":limits must be a keyword list or a map, got: #{Aybiza.Bedrock.Options.shown(other)}"
  end

  defp start(operation, request, config, to, native_opts, warn_legacy? \\ true) do
    native_config = Config.native(config)

    # A small request starts on this scheduler (no dirty-scheduler round trip on the first
    # sentence's path); a large one is answered `:dirty` and starts on a dirty scheduler.
    result =
      case Native.start_call_small(operation, request, native_config, to, native_opts) do
        :dirty -> Native.start_call(operation, request, native_config, to, native_opts)
        result -> result
      end

    # EOL and the other catalog rules are enforced natively; the Legacy warning is logged
    # here, once the call's task runs: a catalog lookup (tens of µs with cold caches) less
    # before the request leaves. `stream/2`'s Converse-shaped requests skip it (their API
    # choice's lookup logged it).
    if warn_legacy?, do: Aybiza.Bedrock.Catalog.warn_if_legacy(request)
    wrap_native(result)
  rescue
    # A NIF's exception (a badarg, a panic) carries the call's arguments in its top frame:
    # the plain configuration with the secrets. Keep the frames, drop the arguments.
    e -> reraise e, Options.without_arguments(__STACKTRACE__)
  end

  defp native_warm(config) do
    Native.warm(Config.native(config))
  rescue
    e -> reraise e, Options.without_arguments(__STACKTRACE__)
  end

  # The fallback clauses raise an ArgumentError naming the argument instead of a
  # FunctionClauseError, whose report would print every argument, credentials included.
  defp bad_arguments!(request, opts) do
    unless is_map(request),
      do: raise(ArgumentError, "the request must be a map, got #{Options.describe(request)}")

    keyword!(opts)
  end

  defp bad_model_arguments!(model_id, body, opts) do
    unless is_binary(model_id),
      do: raise(ArgumentError, "the model id must be a string, got #{Options.describe(model_id)}")

    bad_arguments!(body, opts)
  end

  defp keyword!(opts), do: Options.keyword!(opts)

  defp span_model(%{model_id: id}) when is_binary(id), do: id
  defp span_model(%{"model_id" => id}) when is_binary(id), do: id
  defp span_model(%{"modelId" => id}) when is_binary(id), do: id
  defp span_model(_request), do: nil

  defp wrap_native({:ok, _} = ok), do: ok
  defp wrap_native({:error, error}), do: {:error, Error.from_native(error)}

  defp unwrap!({:ok, value}), do: value
  defp unwrap!(:ok), do: :ok
  defp unwrap!({:error, error}), do: raise(error)
end
