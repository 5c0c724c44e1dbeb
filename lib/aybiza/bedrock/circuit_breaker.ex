defmodule Aybiza.Bedrock.CircuitBreaker do
  @moduledoc """
  A circuit breaker per `{model_id, region}`: `:closed` -> `:open` -> `:half_open` -> `:closed`.

    * `:closed` - calls pass. `failure_threshold` consecutive failures open the breaker (a
      success resets the count). A success slower than `slow_call_ms` counts as a failure.
    * `:open` - calls are refused for `recovery_ms`; the first request after that moves the
      breaker to `:half_open`.
    * `:half_open` - at most `half_open_calls` trial calls run at once; when that many
      trials have succeeded the breaker closes, one failed trial opens it again. A trial
      permit whose call never reports back is reclaimed after `recovery_ms`.

  The breakers are rows of one public ETS table (owned by
  `Aybiza.Bedrock.CircuitBreaker.TableOwner`), which is their registry: `list/0` shows them
  all. There is no process per breaker and no process call on the hot path; every
  transition is a compare-and-swap on the row (`:ets.select_replace/2` on a version
  number), so concurrent callers never lose an update. Each state change emits
  `[:aybiza_bedrock, :circuit_breaker, :state_change]` (see `Aybiza.Bedrock.Telemetry`).

  ## Options

  Read from `config :aybiza_bedrock, :circuit_breaker, [...]`, overridden per call:

    * `:failure_threshold` - consecutive failures that open the breaker (default 5).
    * `:recovery_ms` - how long it stays open (default 30_000).
    * `:half_open_calls` - trial calls in half-open (default 1).
    * `:slow_call_ms` - a success slower than this counts as a failure (default 15_000;
      `nil` disables).
    * `:clock` - `Aybiza.Bedrock.Clock` (default `:system`; tests pass a manual clock).
  """

  alias Aybiza.Bedrock.{Clock, Telemetry}
  alias Aybiza.Bedrock.Cluster.BreakerSync

  require Logger

  @table :aybiza_bedrock_circuit_breakers

  @type state :: :closed | :open | :half_open
  @type key :: {model_id :: String.t(), region :: String.t()}

  @typedoc "The data of a breaker: `{state, failures, changed_at_ms, in_flight, successes}`."
  @type data ::
          {state(), non_neg_integer(), integer() | nil, non_neg_integer(), non_neg_integer()}

  @defaults [
    failure_threshold: 5,
    recovery_ms: 30_000,
    half_open_calls: 1,
    slow_call_ms: 15_000,
    clock: :system
  ]

  @initial {:closed, 0, nil, 0, 0}

  @doc false
  @spec table() :: atom()
  def table, do: @table

  @doc "The default options."
  @spec defaults() :: keyword()
  def defaults, do: @defaults

  @doc """
  The validated options: defaults, then the application environment, then `opts`.
  Raises `ArgumentError` naming a bad option.
  """
  @spec options!(keyword()) :: map()
  def options!(opts \\ []) do
    app = Application.get_env(:aybiza_bedrock, :circuit_breaker, [])

    merged =
      @defaults |> Keyword.merge(app) |> Keyword.merge(opts) |> Keyword.validate!(@defaults)

    for key <- [:failure_threshold, :recovery_ms, :half_open_calls] do
      value = merged[key]

      unless is_integer(value) and value > 0 do
        raise ArgumentError,
              "circuit breaker option #{inspect(key)} must be a positive integer, got: #{Aybiza.Bedrock.Options.shown(value)}"
      end
    end

    slow = merged[:slow_call_ms]

    unless is_nil(slow) or (is_integer(slow) and slow > 0) do
      raise ArgumentError,
            "circuit breaker option :slow_call_ms must be nil or a positive integer, got: #{Aybiza.Bedrock.Options.shown(slow)}"
    end

    merged |> Keyword.update!(:clock, &Clock.validate!(&1, :clock)) |> Map.new()
  end

  @doc """
  Asks for a permit to call `model_id` in `region`. Returns `:ok` (and, in half-open, takes a
  trial slot) or `{:error, :open}`. Every `:ok` must be followed by `record_success/4`,
  `record_failure/3` or `release/3`.
  """
  @spec acquire(String.t(), String.t(), keyword()) :: :ok | {:error, :open}
  def acquire(model_id, region, opts \\ []),
    do: update({model_id, region}, :acquire, options!(opts))

  @doc """
  Whether a call to `model_id` in `region` would be let through now, without taking a permit.
  Routing uses it to skip models whose breaker is open. Read-only: one ETS lookup.
  """
  @spec allowed?(String.t(), String.t(), keyword()) :: boolean()
  def allowed?(model_id, region, opts \\ []) do
    cfg = options!(opts)

    {_data, decision} =
      transition(read({model_id, region}), :acquire, Clock.now_ms(cfg.clock), cfg)

    decision == :ok
  end

  @doc "Records a successful call of `duration_ms` (slow successes count as failures)."
  @spec record_success(String.t(), String.t(), non_neg_integer(), keyword()) :: :ok
  def record_success(model_id, region, duration_ms, opts \\ []) do
    cfg = options!(opts)

    event = if cfg.slow_call_ms && duration_ms > cfg.slow_call_ms, do: :failure, else: :success

    update({model_id, region}, event, cfg)
    :ok
  end

  @doc "Records a failed call."
  @spec record_failure(String.t(), String.t(), keyword()) :: :ok
  def record_failure(model_id, region, opts \\ []) do
    update({model_id, region}, :failure, options!(opts))
    :ok
  end

  @doc "Gives back a permit without a verdict (e.g. the caller cancelled)."
  @spec release(String.t(), String.t(), keyword()) :: :ok
  def release(model_id, region, opts \\ []) do
    update({model_id, region}, :release, options!(opts))
    :ok
  end

  @doc """
  The state of a breaker as stored (an open breaker whose recovery time passed still reads
  `:open` until the next `acquire/3` moves it to half-open).
  """
  @spec state(String.t(), String.t()) :: state()
  def state(model_id, region), do: elem(read({model_id, region}), 0)

  @doc "The full data of a breaker: state, failures, when it last changed, trials in flight, trial successes."
  @spec info(String.t(), String.t()) :: map()
  def info(model_id, region) do
    {state, failures, changed_at, in_flight, successes} = read({model_id, region})

    %{
      state: state,
      failures: failures,
      changed_at_ms: changed_at,
      in_flight: in_flight,
      successes: successes
    }
  end

  @doc """
  Every breaker that has seen a failure: `[{{model_id, region}, state}]`. A target whose
  calls only ever succeeded has no entry.
  """
  @spec list() :: [{key(), state()}]
  def list do
    :ets.select(@table, [{{:"$1", :"$2", :_, :_, :_, :_, :_}, [], [{{:"$1", :"$2"}}]}])
  rescue
    ArgumentError -> []
  end

  @doc "Forgets a breaker (it is closed again)."
  @spec reset(String.t(), String.t()) :: :ok
  def reset(model_id, region) do
    :ets.delete(@table, {model_id, region})
    :ok
  rescue
    ArgumentError -> :ok
  end

  @doc """
  The pure transition function: the new data and the decision for `event` at time `now`.
  The decision is `:ok` or `{:error, :open}` for `:acquire`, `:ok` otherwise.
  """
  @spec transition(data(), :acquire | :success | :failure | :release, integer(), map()) ::
          {data(), :ok | {:error, :open}}
  def transition({:closed, _, _, _, _} = data, :acquire, _now, _cfg), do: {data, :ok}

  def transition({:open, f, opened_at, _, _} = data, :acquire, now, cfg) do
    if now - opened_at >= cfg.recovery_ms,
      do: {{:half_open, f, now, 1, 0}, :ok},
      else: {data, {:error, :open}}
  end

  def transition({:half_open, f, since, in_flight, ok} = data, :acquire, now, cfg) do
    cond do
      in_flight < cfg.half_open_calls -> {{:half_open, f, since, in_flight + 1, ok}, :ok}
      # Trials that never reported back: start a fresh round of trials.
      now - since >= cfg.recovery_ms -> {{:half_open, f, now, 1, 0}, :ok}
      true -> {data, {:error, :open}}
    end
  end

  def transition({:closed, _, at, _, _}, :success, _now, _cfg), do: {{:closed, 0, at, 0, 0}, :ok}

  def transition({:half_open, f, since, in_flight, ok}, :success, now, cfg) do
    if ok + 1 >= cfg.half_open_calls,
      do: {{:closed, 0, now, 0, 0}, :ok},
      else: {{:half_open, f, since, max(in_flight - 1, 0), ok + 1}, :ok}
  end

  def transition({:closed, f, at, _, _}, :failure, now, cfg) do
    if f + 1 >= cfg.failure_threshold,
      do: {{:open, f + 1, now, 0, 0}, :ok},
      else: {{:closed, f + 1, at, 0, 0}, :ok}
  end

  def transition({:half_open, f, _, _, _}, :failure, now, _cfg),
    do: {{:open, f + 1, now, 0, 0}, :ok}

  def transition({:half_open, f, since, in_flight, ok}, :release, _now, _cfg),
    do: {{:half_open, f, since, max(in_flight - 1, 0), ok}, :ok}

  # A verdict that arrives while open (a call started before the breaker opened) changes nothing.
  def transition(data, _event, _now, _cfg), do: {data, :ok}

  defp read(key) do
    case :ets.lookup(@table, key) do
      [{_key, s, f, at, in_flight, ok, _version}] -> {s, f, at, in_flight, ok}
      [] -> @initial
    end
  rescue
    ArgumentError -> @initial
  end

  defp update(key, event, cfg) do
    now = Clock.now_ms(cfg.clock)

    case :ets.lookup(@table, key) do
      [] ->
        case transition(@initial, event, now, cfg) do
          # Nothing to remember (a permit or a success of a closed breaker): no entry, so
          # made-up model ids or regions that never failed cannot grow the table.
          {@initial, decision} ->
            decision

          _ ->
            :ets.insert_new(@table, Tuple.append(Tuple.insert_at(@initial, 0, key), 0))
            update(key, event, cfg)
        end

      [{^key, s, f, at, in_flight, ok, version}] ->
        old = {s, f, at, in_flight, ok}
        {new, decision} = transition(old, event, now, cfg)

        cond do
          new == old ->
            decision

          # One trial for the whole cluster: a node starts a round of half-open trials
          # only while it holds the cluster-wide trial lock.
          starts_trial_round?(old, new) and not BreakerSync.claim_trial(key) ->
            {:error, :open}

          compare_and_swap(key, version, new) ->
            if elem(new, 0) != s do
              if s == :half_open, do: BreakerSync.release_trial(key)
              emit_state_change(key, s, elem(new, 0))
              BreakerSync.broadcast(key, new, cfg, now)
            end

            decision

          true ->
            if starts_trial_round?(old, new), do: BreakerSync.release_trial(key)
            # Another process changed the row first: decide again on the new data.
            update(key, event, cfg)
        end
    end
  rescue
    # No table (the application is not running): never block calls.
    ArgumentError -> :ok
  end

  # open -> half_open, or a fresh round of trials after the last one never reported back.
  defp starts_trial_round?(old, {:half_open, _, since, _, _}), do: elem(old, 2) != since
  defp starts_trial_round?(_old, _new), do: false

  @doc """
  Applies the transition a peer node broadcast (`Aybiza.Bedrock.Cluster.BreakerSync`), without
  broadcasting it again:

    * `{:open, remaining_ms, failures}` - opens this node's copy with the same deadline
      (`remaining_ms` from now), unless it is already open with a later one;
    * `:half_open` - a peer runs the cluster's trial: this copy is open again for
      `recovery_ms` (calls refused, late verdicts ignored) unless the trial's verdict arrives
      first;
    * `:closed` - the trial succeeded on the peer.

  Emits the usual state-change telemetry (metadata `origin: node`). Returns the new state.
  """
  @spec apply_remote(
          key(),
          {:open, non_neg_integer(), non_neg_integer()} | :half_open | :closed,
          node(),
          keyword()
        ) :: state()
  def apply_remote({model_id, region} = key, change, origin, opts \\ []) do
    cfg = options!(opts)
    now = Clock.now_ms(cfg.clock)
    apply_remote_loop(key, change, origin, cfg, now)
    state(model_id, region)
  rescue
    ArgumentError -> :closed
  end

  defp apply_remote_loop(key, change, origin, cfg, now) do
    case :ets.lookup(@table, key) do
      [] ->
        :ets.insert_new(@table, Tuple.append(Tuple.insert_at(@initial, 0, key), 0))
        apply_remote_loop(key, change, origin, cfg, now)

      [{^key, s, f, at, in_flight, ok, version}] ->
        old = {s, f, at, in_flight, ok}
        new = remote_transition(old, change, now, cfg)

        cond do
          new == old ->
            :ok

          compare_and_swap(key, version, new) ->
            if elem(new, 0) != s, do: emit_state_change(key, s, elem(new, 0), origin)
            :ok

          true ->
            apply_remote_loop(key, change, origin, cfg, now)
        end
    end
  end

  @doc false
  # The pure rule of apply_remote/4.
  @spec remote_transition(data(), term(), integer(), map()) :: data()
  def remote_transition({s, f, at, _, _} = data, {:open, remaining_ms, failures}, now, cfg) do
    opened_at = now + remaining_ms - cfg.recovery_ms

    if s == :open and at >= opened_at,
      do: data,
      else: {:open, max(f, failures), opened_at, 0, 0}
  end

  # A peer runs the trial: this copy stays open (refusing calls, ignoring late verdicts of
  # calls started before the breaker opened) until the trial's verdict arrives, or for one
  # more recovery period if it never does (the trial node died).
  def remote_transition({_, f, _, _, _}, :half_open, now, _cfg), do: {:open, f, now, 0, 0}

  def remote_transition({s, _, _, _, _}, :closed, now, _cfg) when s in [:open, :half_open],
    do: {:closed, 0, now, 0, 0}

  def remote_transition(data, _change, _now, _cfg), do: data

  @doc """
  The breakers that refuse calls now, as a peer node applies them: `[{key, change}]` with
  `change` as in `apply_remote/4`. Sent to a node that joins the cluster late.
  """
  @spec snapshot(keyword()) :: [{key(), term()}]
  def snapshot(opts \\ []) do
    cfg = options!(opts)
    now = Clock.now_ms(cfg.clock)

    for {key, s, f, at, _in_flight, _ok, _v} <- :ets.tab2list(@table), s != :closed do
      case s do
        :open -> {key, {:open, max(at + cfg.recovery_ms - now, 0), f}}
        :half_open -> {key, :half_open}
      end
    end
  rescue
    ArgumentError -> []
  end

  defp compare_and_swap(key, version, {s, f, at, in_flight, ok}) do
    new_row = {key, s, f, at, in_flight, ok, version + 1}
    spec = [{{key, :_, :_, :_, :_, :_, version}, [], [{:const, new_row}]}]
    :ets.select_replace(@table, spec) == 1
  end

  defp emit_state_change(key, from, to, origin \\ node())

  defp emit_state_change({model_id, region}, from, to, origin) do
    # Opening takes a target out of routing: a warning. Trial calls and recovery: info.
    level = if to == :open, do: :warning, else: :info
    via = if origin == node(), do: "", else: " (from #{origin})"

    Logger.log(
      level,
      fn ->
        "aybiza_bedrock: circuit breaker of #{model_id} in #{region}: #{from} -> #{to}#{via}"
      end,
      model_id: model_id,
      region: region,
      aybiza_event: :circuit_breaker,
      breaker_from: from,
      breaker_to: to
    )

    Telemetry.execute(
      [:aybiza_bedrock, :circuit_breaker, :state_change],
      %{system_time: System.system_time()},
      %{model_id: model_id, region: region, from: from, to: to, origin: origin}
    )
  end
end
