defmodule Aybiza.Bedrock.Telemetry do
  @moduledoc """
  Every telemetry event of aybiza_bedrock.

  Events are emitted with `:telemetry.execute/3` when the host application has `:telemetry`
  loaded (there is no compile-time dependency), and always to the local handlers attached
  with `attach/4` (an ETS registry owned by `Aybiza.Bedrock.CircuitBreaker.TableOwner`), so
  tests and apps without `:telemetry` can observe them too. A handler that raises is
  detached, as `:telemetry` does.

  Every call is one span: `[:aybiza_bedrock, :stream, :start]` once, then exactly one
  `:stop` or `:exception` (also when the call is cancelled or its receiver exits,
  `reason: :cancelled`, or its relay dies, `reason: :internal`); retries and fallbacks inside the call have their own events.

  Durations are in `:native` time units (convert with `System.convert_time_unit/3`); cost is
  in nanodollars. Metadata never holds prompt text, answers or credentials.

  | event | measurements | metadata |
  |---|---|---|
  | `[:aybiza_bedrock, :stream, :start]` | `system_time`, `monotonic_time` | `call_id`, `tenant_id`, `model_id`, `region`, `attempt` (1), `stream?` |
  | `[:aybiza_bedrock, :stream, :first_token]` | `duration` (since start) | same |
  | `[:aybiza_bedrock, :stream, :sentence]` | `duration` (since start), `seq` | same |
  | `[:aybiza_bedrock, :stream, :stop]` | `duration`, `input_tokens`, `output_tokens`, `cost` | same + `stop_reason`, `recovered?`, `attempts` |
  | `[:aybiza_bedrock, :stream, :exception]` | `duration` | same + `reason` (the `Aybiza.Error` reason atom), `attempts` (`nil` when the relay died and its guard closed the span) |
  | `[:aybiza_bedrock, :retry]` | `delay` (ms), `attempt` | `call_id`, `tenant_id`, `model_id`, `region`, `reason` |
  | `[:aybiza_bedrock, :fallback]` | `attempt` | `call_id`, `tenant_id`, `from_model`, `from_region`, `model_id`, `region`, `reason`, `kind` |
  | `[:aybiza_bedrock, :recovery]` | `delivered_sentences`, `delivered_chars` | `call_id`, `tenant_id`, `model_id`, `region`, `mode` (`:prefill` or `:instruction`) |
  | `[:aybiza_bedrock, :circuit_breaker, :state_change]` | `system_time` | `model_id`, `region`, `from`, `to` |
  | `[:aybiza_bedrock, :sonic, :start]` | `system_time`, `monotonic_time` | `session`, `model_id`, `region` (a Nova Sonic session, `Aybiza.Bedrock.Sonic`) |
  | `[:aybiza_bedrock, :sonic, :stop]` | `duration`, `input_tokens`, `output_tokens`, `audio_in_bytes`, `audio_out_bytes` | same + `connections`, `barge_ins` |
  | `[:aybiza_bedrock, :sonic, :exception]` | `duration` | same + `reason` (`:cancelled` when the receiver exited) |

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
    [:aybiza_bedrock, :fallback],
    [:aybiza_bedrock, :recovery],
    [:aybiza_bedrock, :circuit_breaker, :state_change],
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
              "event names must be non-empty lists of atoms, got: #{inspect(event)}"
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
