defmodule Aybiza.Bedrock.PerformanceMonitor do
  @moduledoc """
  Per `{model_id, region}` metrics over a sliding window: calls, errors (by reason), cost,
  tokens, first-token and total latency percentiles, the share of low-complexity turns, and
  the model usage distribution; plus rule-based `optimization_recommendations/1`.

  Recording is a few `:ets.update_counter/4` calls on a public table (owned by
  `Aybiza.Bedrock.CircuitBreaker.TableOwner`), never a message to a process, so it costs the
  caller microseconds. Time is cut into slots of `:slot_ms` (default 60 s); a summary adds
  up the slots of the last `:window_ms` (default 15 min). The monitor process only deletes
  expired slots. Latencies go into fixed histogram buckets (milliseconds:
  #{inspect([10, 25, 50, 75, 100, 150, 200, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 5000, 10_000, 30_000])}
  and above), so a percentile is reported as the upper bound of its bucket (`:infinity`
  past the last one).

  Configuration: `config :aybiza_bedrock, :performance_monitor, slot_ms: ..., window_ms: ...`
  for the buckets; the latency rule uses the client's `:latency_threshold_ms` setting
  (config, `LATENCY_THRESHOLD_MS`, or a runtime `Aybiza.AWS.BedrockClient.update_settings/2`),
  which the client hands over with `put_latency_threshold_ms/1`.
  """
  use GenServer

  @table :aybiza_bedrock_performance
  @threshold_key {__MODULE__, :latency_threshold_ms}
  @bounds [
    10,
    25,
    50,
    75,
    100,
    150,
    200,
    300,
    400,
    500,
    750,
    1000,
    1500,
    2000,
    3000,
    5000,
    10_000,
    30_000
  ]
  @buckets length(@bounds) + 1
  @low_complexity 0.3
  @costly_tiers [:opus, :sonnet]

  # Positions in a count row {key, calls, errors, cost, input_tokens, output_tokens,
  # low_complexity, cancelled}.
  @calls 2
  @errors 3
  @cost 4
  @input_tokens 5
  @output_tokens 6
  @low_complexity_calls 7
  @cancelled 8

  @typedoc "One finished call."
  @type sample :: %{
          required(:model_id) => String.t(),
          required(:region) => String.t(),
          optional(:ok?) => boolean(),
          optional(:cancelled?) => boolean(),
          optional(:error_reason) => atom() | nil,
          optional(:first_token_ms) => non_neg_integer() | nil,
          optional(:total_ms) => non_neg_integer() | nil,
          optional(:cost_nanodollars) => non_neg_integer() | nil,
          optional(:input_tokens) => non_neg_integer() | nil,
          optional(:output_tokens) => non_neg_integer() | nil,
          optional(:complexity) => float() | nil
        }

  @doc false
  @spec table() :: atom()
  def table, do: @table

  @doc "Starts the monitor (it prunes expired slots)."
  @spec start_link(keyword()) :: GenServer.on_start()
  def start_link(opts \\ []) do
    opts = Keyword.validate!(opts, name: __MODULE__)
    GenServer.start_link(__MODULE__, :ok, name: opts[:name])
  end

  @doc """
  Records one finished model call (one attempt of a turn). Options: `:now_ms` (wall-clock
  milliseconds; default now). Never raises for a missing table (the application is stopped).

  A call cancelled by the caller (`cancelled?: true`, barge-in) counts as a call with its
  cost and tokens and in `:cancelled`, but neither as an error (a barge-in says nothing
  about the model's health) nor in the latency histograms (it was cut short).
  """
  @spec record(sample(), keyword()) :: :ok
  def record(%{model_id: model_id, region: region} = sample, opts \\ []) do
    opts = Keyword.validate!(opts, [:now_ms])
    slot = slot(Keyword.get_lazy(opts, :now_ms, &now_ms/0))
    cancelled? = Map.get(sample, :cancelled?, false) == true
    ok? = cancelled? or Map.get(sample, :ok?, true)
    complexity = Map.get(sample, :complexity)

    increments = [
      {@calls, 1},
      {@errors, if(ok?, do: 0, else: 1)},
      {@cost, int(sample[:cost_nanodollars])},
      {@input_tokens, int(sample[:input_tokens])},
      {@output_tokens, int(sample[:output_tokens])},
      {@low_complexity_calls,
       if(is_number(complexity) and complexity < @low_complexity, do: 1, else: 0)},
      {@cancelled, if(cancelled?, do: 1, else: 0)}
    ]

    counts_key = {:counts, slot, model_id, region}
    :ets.update_counter(@table, counts_key, increments, {counts_key, 0, 0, 0, 0, 0, 0, 0})

    for {metric, value} <- [first_token: sample[:first_token_ms], total: sample[:total_ms]],
        not cancelled?,
        is_integer(value) do
      key = {:hist, slot, model_id, region, metric}

      :ets.update_counter(
        @table,
        key,
        {bucket(value) + 2, 1},
        Tuple.duplicate(0, @buckets + 1) |> put_elem(0, key)
      )
    end

    if not ok? and is_atom(sample[:error_reason]) and sample[:error_reason] != nil do
      key = {:error_reason, slot, model_id, region, sample[:error_reason]}
      :ets.update_counter(@table, key, {2, 1}, {key, 0})
    end

    :ok
  rescue
    ArgumentError -> :ok
  end

  @doc """
  The metrics of the window. Options: `:now_ms`, `:window_ms`.

  Returns `%{window_ms: ms, models: %{{model_id, region} => stats}, usage_distribution:
  %{model_id => share}}` where `stats` has `:calls`, `:errors`, `:error_rate`,
  `:errors_by_reason`, `:cancelled` (barge-ins), `:cost_nanodollars`, `:input_tokens`, `:output_tokens`,
  `:low_complexity_share`, `:first_token_ms` and `:total_ms` (each `%{p50:, p95:, p99:}` or nil).
  """
  @spec summary(keyword()) :: map()
  def summary(opts \\ []) do
    opts = Keyword.validate!(opts, [:now_ms, :window_ms])
    window_ms = Keyword.get_lazy(opts, :window_ms, fn -> config(:window_ms) end)
    now_slot = slot(Keyword.get_lazy(opts, :now_ms, &now_ms/0))
    first_slot = now_slot - div(window_ms, config(:slot_ms)) + 1
    rows = rows_between(first_slot, now_slot)

    models =
      rows
      |> Enum.group_by(&row_target/1)
      |> Map.new(fn {target, target_rows} -> {target, stats(target_rows)} end)

    total_calls = models |> Map.values() |> Enum.map(& &1.calls) |> Enum.sum()

    distribution =
      models
      |> Enum.group_by(fn {{model_id, _region}, _} -> model_id end, fn {_, stats} ->
        stats.calls
      end)
      |> Map.new(fn {model_id, calls} ->
        {model_id, if(total_calls > 0, do: Enum.sum(calls) / total_calls, else: 0.0)}
      end)

    %{window_ms: window_ms, models: models, usage_distribution: distribution}
  end

  @doc """
  Recommendations from rules over `summary/1` (same options, plus `:latency_threshold_ms`,
  default the client's setting, and `:min_calls`, default 20, below which a model is not
  judged):

    * `:latency` - the p95 first-token latency of a model exceeds the latency threshold.
    * `:cost` - an Opus or Sonnet model serves mostly (>= 50%) low-complexity turns
      (complexity < #{@low_complexity}): a Haiku model would do.
    * `:reliability` - more than 5% of a model's calls failed.
  """
  @spec optimization_recommendations(keyword()) :: [map()]
  def optimization_recommendations(opts \\ []) do
    opts = Keyword.validate!(opts, [:now_ms, :window_ms, :latency_threshold_ms, min_calls: 20])

    threshold = opts[:latency_threshold_ms] || latency_threshold_ms()

    summary = summary(Keyword.take(opts, [:now_ms, :window_ms]))

    for {{model_id, region}, stats} <- Enum.sort(summary.models),
        stats.calls >= opts[:min_calls],
        rec <- rules(model_id, region, stats, threshold),
        do: rec
  end

  @doc """
  Sets the threshold of the latency rule. `Aybiza.AWS.BedrockClient` calls it whenever it
  publishes its settings (start, restart, `update_settings/2`), so the rule follows the
  client's `:latency_threshold_ms`.
  """
  @spec put_latency_threshold_ms(pos_integer()) :: :ok
  def put_latency_threshold_ms(ms) when is_integer(ms) and ms > 0 do
    # Rare (settings changes), so the cost of a :persistent_term update is fine here.
    if :persistent_term.get(@threshold_key, nil) != ms,
      do: :persistent_term.put(@threshold_key, ms)

    :ok
  end

  @doc "The threshold of the latency rule in force (default 200 ms before any client starts)."
  @spec latency_threshold_ms() :: pos_integer()
  def latency_threshold_ms, do: :persistent_term.get(@threshold_key, 200)

  @doc "Deletes every recorded metric."
  @spec reset() :: :ok
  def reset do
    :ets.delete_all_objects(@table)
    :ok
  rescue
    ArgumentError -> :ok
  end

  @doc "Deletes the slots older than the window (the monitor does it every slot)."
  @spec prune(keyword()) :: non_neg_integer()
  def prune(opts \\ []) do
    opts = Keyword.validate!(opts, [:now_ms])

    oldest =
      slot(Keyword.get_lazy(opts, :now_ms, &now_ms/0)) - div(config(:window_ms), config(:slot_ms))

    :ets.select_delete(@table, [
      {{{:counts, :"$1", :_, :_}, :_, :_, :_, :_, :_, :_, :_}, [{:<, :"$1", oldest}], [true]}
      | for(
          tag <- [:hist, :error_reason],
          do:
            {:"$0",
             [
               {:andalso, {:is_tuple, {:element, 1, :"$0"}},
                {:andalso, {:==, {:element, 1, {:element, 1, :"$0"}}, tag},
                 {:<, {:element, 2, {:element, 1, :"$0"}}, oldest}}}
             ], [true]}
        )
    ])
  end

  @impl true
  def init(:ok) do
    schedule_prune()
    {:ok, %{}}
  end

  @impl true
  def handle_info(:prune, state) do
    prune()
    schedule_prune()
    {:noreply, state}
  end

  defp schedule_prune, do: Process.send_after(self(), :prune, config(:slot_ms))

  defp rules(model_id, region, stats, threshold) do
    latency =
      case stats.first_token_ms do
        %{p95: p95} when p95 == :infinity or p95 > threshold ->
          [
            %{
              type: :latency,
              model_id: model_id,
              region: region,
              p95_first_token_ms: p95,
              threshold_ms: threshold,
              message:
                "p95 first-token latency of #{model_id} in #{region} is above #{threshold} ms: route simple turns to a faster model or a nearer region"
            }
          ]

        _ ->
          []
      end

    # A model the catalog does not know (e.g. a test backend's) is not a costly tier.
    tier =
      case Aybiza.Bedrock.Turn.Policy.Models.facts(model_id) do
        {:ok, facts} -> facts.tier
        {:error, _} -> :other
      end

    cost =
      if tier in @costly_tiers and stats.low_complexity_share >= 0.5 do
        [
          %{
            type: :cost,
            model_id: model_id,
            region: region,
            low_complexity_share: stats.low_complexity_share,
            message:
              "#{model_id} (#{tier}) serves mostly low-complexity turns: a Haiku model would cost less"
          }
        ]
      else
        []
      end

    reliability =
      if stats.error_rate > 0.05 do
        [
          %{
            type: :reliability,
            model_id: model_id,
            region: region,
            error_rate: stats.error_rate,
            message:
              "#{Float.round(stats.error_rate * 100, 1)}% of calls to #{model_id} in #{region} failed: check quotas or add a fallback region"
          }
        ]
      else
        []
      end

    latency ++ cost ++ reliability
  end

  defp rows_between(first_slot, last_slot) do
    :ets.select(@table, [
      {:"$0",
       [
         {:andalso, {:>=, {:element, 2, {:element, 1, :"$0"}}, first_slot},
          {:"=<", {:element, 2, {:element, 1, :"$0"}}, last_slot}}
       ], [:"$0"]}
    ])
  rescue
    ArgumentError -> []
  end

  defp row_target(row) do
    key = elem(row, 0)
    {elem(key, 2), elem(key, 3)}
  end

  defp stats(rows) do
    {counts, others} = Enum.split_with(rows, &(elem(elem(&1, 0), 0) == :counts))
    sum = fn pos -> counts |> Enum.map(&elem(&1, pos - 1)) |> Enum.sum() end
    calls = sum.(@calls)
    errors = sum.(@errors)

    errors_by_reason =
      for row <- others, elem(elem(row, 0), 0) == :error_reason, reduce: %{} do
        acc -> Map.update(acc, elem(elem(row, 0), 4), elem(row, 1), &(&1 + elem(row, 1)))
      end

    %{
      calls: calls,
      errors: errors,
      error_rate: if(calls > 0, do: errors / calls, else: 0.0),
      errors_by_reason: errors_by_reason,
      cancelled: sum.(@cancelled),
      cost_nanodollars: sum.(@cost),
      input_tokens: sum.(@input_tokens),
      output_tokens: sum.(@output_tokens),
      low_complexity_share: if(calls > 0, do: sum.(@low_complexity_calls) / calls, else: 0.0),
      first_token_ms: percentiles(others, :first_token),
      total_ms: percentiles(others, :total)
    }
  end

  defp percentiles(rows, metric) do
    histograms =
      for row <- rows,
          match?({:hist, _, _, _, ^metric}, elem(row, 0)),
          do: row |> Tuple.to_list() |> tl()

    case histograms do
      [] ->
        nil

      _ ->
        counts = Enum.zip_with(histograms, &Enum.sum/1)
        total = Enum.sum(counts)

        %{
          p50: percentile(counts, total, 0.50),
          p95: percentile(counts, total, 0.95),
          p99: percentile(counts, total, 0.99)
        }
    end
  end

  defp percentile(counts, total, p) do
    rank = max(1, ceil(p * total))

    index =
      counts
      |> Enum.scan(&(&1 + &2))
      |> Enum.find_index(&(&1 >= rank))

    Enum.at(@bounds, index, :infinity)
  end

  defp bucket(ms), do: Enum.find_index(@bounds, &(ms <= &1)) || length(@bounds)

  defp int(value) when is_integer(value) and value >= 0, do: value
  defp int(_), do: 0

  defp slot(now_ms), do: div(now_ms, config(:slot_ms))
  defp now_ms, do: System.system_time(:millisecond)

  defp config(key) do
    defaults = [slot_ms: 60_000, window_ms: 15 * 60_000]

    Keyword.get(
      Application.get_env(:aybiza_bedrock, :performance_monitor, []),
      key,
      defaults[key]
    )
  end
end
