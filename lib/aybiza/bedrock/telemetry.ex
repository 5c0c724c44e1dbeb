defmodule Aybiza.Bedrock.Telemetry do
  @moduledoc """
  Every telemetry event of aybiza_bedrock.

  Events are emitted with `:telemetry.execute/3` when the host application has `:telemetry`
  loaded (there is no compile-time dependency), and always to the local handlers attached
  with `attach/4` (an ETS registry owned by `Aybiza.Bedrock.CircuitBreaker.TableOwner`), so
  tests and apps without `:telemetry` can observe them too. A handler that raises is
  detached, as `:telemetry` does.

  Every call of the relay (a turn without tools, or one model round of a tool turn) is one
  span: `[:aybiza_bedrock, :stream, :start]` once, then exactly one `:stop` or
  `:exception` (also when the call is cancelled or its receiver exits, `reason:
  :cancelled`, or its relay dies, `reason: :internal`); retries and fallbacks inside the
  call have their own events. A turn with `%Aybiza.Bedrock.Tool{}` tools or `memory:` is
  also one `[:aybiza_bedrock, :turn, _]` span around its rounds, and each tool round is a
  `[:aybiza_bedrock, :tool_round, _]` span; all of them balance in every path (a cancel
  closes the open ones with `reason: :cancelled`). `cost` measurements count every attempt
  Bedrock bills (failed, recovered and cancelled ones; estimated where Bedrock sent no
  usage).

  Durations are in `:native` time units (convert with `System.convert_time_unit/3`); cost is
  in nanodollars. Metadata never holds prompt text, answers or credentials.

  | event | measurements | metadata |
  |---|---|---|
  | `[:aybiza_bedrock, :stream, :start]` | `system_time`, `monotonic_time` | `call_id`, `tenant_id`, `model_id`, `region`, `attempt` (1), `stream?` |
  | `[:aybiza_bedrock, :stream, :first_token]` | `duration` (since start) | same |
  | `[:aybiza_bedrock, :stream, :sentence]` | `duration` (since start), `seq` | same |
  | `[:aybiza_bedrock, :stream, :stop]` | `duration`, `input_tokens`, `output_tokens` (last attempt), `cost` (every attempt) | same + `stop_reason`, `recovered?`, `attempts`, `round` (in a tool turn) |
  | `[:aybiza_bedrock, :stream, :exception]` | `duration`, `cost` (every attempt; estimated for a cancelled one) | same + `reason` (the `Aybiza.Error` reason atom), `attempts` (`nil` when the relay died and its guard closed the span) |
  | `[:aybiza_bedrock, :turn, :start]` | `system_time`, `monotonic_time` | `call_id`, `tenant_id`, `model_id`, `region`, `round` (0), `stream?` |
  | `[:aybiza_bedrock, :turn, :stop]` | `duration`, `cost` (every attempt of every round) | same + `rounds`, `stop_reason` |
  | `[:aybiza_bedrock, :turn, :exception]` | `duration`, `cost` | same + `reason`, `rounds` (`nil` when the turn process died) |
  | `[:aybiza_bedrock, :tool_round, :start]` | `system_time`, `tools` (count) | `call_id`, `tenant_id`, `model_id`, `region`, `round` |
  | `[:aybiza_bedrock, :tool_round, :stop]` | `duration`, `tools`, `errors` (tools that failed) | same |
  | `[:aybiza_bedrock, :tool_round, :exception]` | `duration`, `reason` (`:cancelled` or `:internal`) | same |
  | `[:aybiza_bedrock, :raw_stream, :start]` | `system_time`, `monotonic_time` | `model_id` (as requested), `region` |
  | `[:aybiza_bedrock, :raw_stream, :stop]` | `duration`, `input_tokens`, `output_tokens`, `cost` | same + `stop_reason` |
  | `[:aybiza_bedrock, :raw_stream, :exception]` | `duration`, `cost` (estimated for a cut-off stream) | same + `reason` |
  | `[:aybiza_bedrock, :retry]` | `delay` (ms), `attempt` | `call_id`, `tenant_id`, `model_id`, `region`, `reason` |
  | `[:aybiza_bedrock, :cluster, :breaker_received]` | `lag_us` (sender's system time to receipt; `nil` for a late joiner's snapshot) | `model_id`, `region`, `origin` (the peer), `state` (after applying it); the `:state_change` events also carry `origin`: this node, or the peer whose transition was applied (`Aybiza.Bedrock.Cluster.BreakerSync`) |
  | `[:aybiza_bedrock, :admission, :admit]` | `wait_ms` | `model_id`, `region` |
  | `[:aybiza_bedrock, :admission, :reject]` | `wait_ms` (the wait it would have needed) | `model_id`, `region` |
  | `[:aybiza_bedrock, :admission, :rate_decrease]` | `factor` (the new rate factor) | `model_id`, `region`, `origin` (the node that was throttled) |
  | `[:aybiza_bedrock, :fallback]` | `attempt` | `call_id`, `tenant_id`, `from_model`, `from_region`, `model_id`, `region`, `reason`, `kind` |
  | `[:aybiza_bedrock, :recovery]` | `delivered_sentences`, `delivered_chars` | `call_id`, `tenant_id`, `model_id`, `region`, `mode` (`:prefill` or `:instruction`) |
  | `[:aybiza_bedrock, :circuit_breaker, :state_change]` | `system_time` | `model_id`, `region`, `from`, `to` |
  | `[:aybiza_bedrock, :sonic, :start]` | `system_time`, `monotonic_time` | `session`, `model_id`, `region` (a Nova Sonic session, `Aybiza.Bedrock.Sonic`) |
  | `[:aybiza_bedrock, :sonic, :stop]` | `duration`, `input_tokens`, `output_tokens`, `audio_in_bytes`, `audio_out_bytes` | same + `connections`, `barge_ins` |
  | `[:aybiza_bedrock, :sonic, :exception]` | `duration` | same + `reason` (`:cancelled` when the receiver exited) |

  Raw `Aybiza.Bedrock.stream/2` calls are spans by default (`telemetry: false`, or `config
  :aybiza_bedrock, stream_telemetry: false`, turns them off) with no process between the
  engine and the receiver: `:start` is emitted in the calling process, `:stop` or
  `:exception` by the `Aybiza.Bedrock.StreamSpan` process, which the engine tells how the
  call ended. If that process is down, raw streams run the same and emit no span.

  A Nova Sonic session is one span too: `:start` when `start_session/1` succeeds, then exactly
  one `:stop` (after `close/1`) or `:exception`.
  """

  @table :aybiza_bedrock_telemetry_handlers

  @typedoc "An event name."
  @type event_name :: [atom(), ...]

  @typedoc "A handler: called as `fun.(event, measurements, metadata, config)`."
  @type handler :: (event_name(), map(), map(), term() -> any())

  @events [
    [:aybiza_bedrock, :stream, :start],
    [:aybiza_bedrock, :stream, :first_token],
    [:aybiza_bedrock, :stream, :sentence],
    [:aybiza_bedrock, :stream, :stop],
    [:aybiza_bedrock, :stream, :exception],
    [:aybiza_bedrock, :retry],
    [:aybiza_bedrock, :cluster, :breaker_received],
    [:aybiza_bedrock, :admission, :admit],
    [:aybiza_bedrock, :admission, :reject],
    [:aybiza_bedrock, :admission, :rate_decrease],
    [:aybiza_bedrock, :fallback],
    [:aybiza_bedrock, :recovery],
    [:aybiza_bedrock, :circuit_breaker, :state_change],
    [:aybiza_bedrock, :turn, :start],
    [:aybiza_bedrock, :turn, :stop],
    [:aybiza_bedrock, :turn, :exception],
    [:aybiza_bedrock, :tool_round, :start],
    [:aybiza_bedrock, :tool_round, :stop],
    [:aybiza_bedrock, :tool_round, :exception],
    [:aybiza_bedrock, :raw_stream, :start],
    [:aybiza_bedrock, :raw_stream, :stop],
    [:aybiza_bedrock, :raw_stream, :exception],
    [:aybiza_bedrock, :sonic, :start],
    [:aybiza_bedrock, :sonic, :stop],
    [:aybiza_bedrock, :sonic, :exception]
  ]

  @doc "Every event name this library emits."
  @spec events() :: [event_name()]
  def events, do: @events

  @doc false
  @spec table() :: atom()
  def table, do: @table

  @doc """
  Attaches a local handler `fun` under `handler_id` to one event or a list of events.
  Returns `{:error, :already_exists}` when `handler_id` is taken.
  """
  @spec attach(term(), event_name() | [event_name()], handler(), term()) ::
          :ok | {:error, :already_exists}
  def attach(handler_id, event_or_events, fun, config \\ nil) when is_function(fun, 4) do
    events =
      if match?([name | _] when is_atom(name), event_or_events),
        do: [event_or_events],
        else: event_or_events

    Enum.each(events, fn event ->
      unless is_list(event) and event != [] and Enum.all?(event, &is_atom/1) do
        raise ArgumentError,
              "event names must be non-empty lists of atoms, got: #{Aybiza.Bedrock.Options.shown(event)}"
      end
    end)

    if :ets.match_object(@table, {:_, handler_id, :_, :_}) != [] do
      {:error, :already_exists}
    else
      :ets.insert(@table, Enum.map(events, &{&1, handler_id, fun, config}))
      :ok
    end
  end

  @doc "Like `attach/4` but for several events (same as passing a list)."
  @spec attach_many(term(), [event_name()], handler(), term()) :: :ok | {:error, :already_exists}
  def attach_many(handler_id, events, fun, config \\ nil),
    do: attach(handler_id, events, fun, config)

  @doc "Detaches a local handler. Returns `{:error, :not_found}` when there is none."
  @spec detach(term()) :: :ok | {:error, :not_found}
  def detach(handler_id) do
    pattern = {:_, handler_id, :_, :_}

    case :ets.match_object(@table, pattern) do
      [] ->
        {:error, :not_found}

      _ ->
        :ets.match_delete(@table, pattern)
        :ok
    end
  end

  @doc """
  Emits `event` to `:telemetry` (when loaded) and to the local handlers. Never raises:
  telemetry must not break a live call.
  """
  @spec execute(event_name(), map(), map()) :: :ok
  def execute(event, measurements, metadata)
      when is_list(event) and is_map(measurements) and is_map(metadata) do
    if telemetry_available?() do
      # apply/3: no compile-time dependency on :telemetry.
      apply(:telemetry, :execute, [event, measurements, metadata])
    end

    dispatch_local(event, measurements, metadata)
  end

  @doc "Whether the host application's `:telemetry` is available."
  @spec telemetry_available?() :: boolean()
  def telemetry_available? do
    case :persistent_term.get({__MODULE__, :telemetry_available?}, :unknown) do
      :unknown ->
        available =
          Code.ensure_loaded?(:telemetry) and function_exported?(:telemetry, :execute, 3)

        :persistent_term.put({__MODULE__, :telemetry_available?}, available)
        available

      available ->
        available
    end
  end

  defp dispatch_local(event, measurements, metadata) do
    handlers =
      try do
        :ets.lookup(@table, event)
      rescue
        # The table owner is not running (the application is stopped).
        ArgumentError -> []
      end

    Enum.each(handlers, fn {_event, handler_id, fun, config} ->
      try do
        fun.(event, measurements, metadata, config)
      rescue
        _ -> detach(handler_id)
      catch
        _, _ -> detach(handler_id)
      end
    end)
  end
end
