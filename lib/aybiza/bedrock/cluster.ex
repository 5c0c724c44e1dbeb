defmodule Aybiza.Bedrock.Cluster do
  @moduledoc """
  aybiza_bedrock across an Erlang cluster, with distributed Erlang only (`:pg`, `:global`,
  Mnesia, `:erpc`): no extra service. See `docs/CLUSTER.md` for the design.

    * circuit breakers shared by every node (`Aybiza.Bedrock.Cluster.BreakerSync`);
    * Bedrock quotas divided among the nodes and enforced before a call is sent
      (`Aybiza.Bedrock.Cluster.Admission`, `Aybiza.Bedrock.Cluster.Quotas`);
    * conversation memory replicated by Mnesia
      (`Aybiza.Bedrock.ConversationMemory.MnesiaStore`);
    * a cluster-wide view on request (`summary/1`, `health/1`).

  A node takes part as soon as it runs the application and is connected to the others
  (`Node.connect/1`, `libcluster`, `-kernel sync_nodes_*`: how nodes find each other is
  the host's choice). `config :aybiza_bedrock, :cluster, enabled: false` turns the layer
  off (every node then keeps breakers and quotas to itself, as before).
  """

  alias Aybiza.Bedrock.PerformanceMonitor

  @scope :aybiza_bedrock_cluster

  @doc "The `:pg` scope of the library's groups."
  @spec scope() :: atom()
  def scope, do: @scope

  @doc "Whether the cluster layer is enabled (`config :aybiza_bedrock, :cluster, enabled:`)."
  @spec enabled?() :: boolean()
  def enabled? do
    Keyword.get(Application.get_env(:aybiza_bedrock, :cluster, []), :enabled, true) != false
  end

  @doc """
  The nodes that run the library's cluster layer (this node first), as `:pg` sees them.
  """
  @spec nodes() :: [node()]
  def nodes do
    members =
      try do
        :pg.get_members(@scope, Aybiza.Bedrock.Cluster.BreakerSync.group())
      rescue
        ArgumentError -> []
      end

    [node() | members |> Enum.map(&node/1) |> Enum.reject(&(&1 == node()))] |> Enum.uniq()
  end

  @doc """
  Runs `fun` (a function of the node) on every node of `nodes/0` with `:erpc` and a
  `:timeout` (default 1_000 ms) for the whole round: the calls run in parallel, a node that
  fails or does not answer in time is reported, never waited for beyond the timeout.

  Returns `%{ok: %{node => result}, failed: %{node => reason}}`. `fun` must be a remote
  function capture (`&Mod.fun/1`) or `{module, function, args}` (called with `args`): an
  anonymous function would need this module's code on the other node.
  """
  @spec on_each_node({module(), atom(), list()}, keyword()) :: %{ok: map(), failed: map()}
  def on_each_node({module, function, args}, opts \\ [])
      when is_atom(module) and is_atom(function) and is_list(args) do
    opts = Keyword.validate!(opts, timeout: 1_000, nodes: nil)
    timeout = opts[:timeout]
    nodes = opts[:nodes] || nodes()

    requests = for node <- nodes, do: {node, :erpc.send_request(node, module, function, args)}
    deadline = System.monotonic_time(:millisecond) + timeout

    Enum.reduce(requests, %{ok: %{}, failed: %{}}, fn {node, request}, acc ->
      left = max(deadline - System.monotonic_time(:millisecond), 0)

      # receive_response/2 abandons a request that times out: its late answer never lands
      # in this process's mailbox.
      try do
        put_in(acc, [:ok, node], :erpc.receive_response(request, left))
      catch
        kind, reason -> put_in(acc, [:failed, node], failure(kind, reason))
      end
    end)
  end

  defp failure(:error, {:erpc, reason}), do: reason
  defp failure(:exit, {:exception, exception, _stack}), do: {:exception, exception}
  defp failure(:error, {:exception, exception, _stack}), do: {:exception, exception}
  defp failure(kind, reason), do: {kind, reason}

  @doc """
  `Aybiza.Bedrock.PerformanceMonitor.summary/1` of every node, and their sum.

  Options: `:timeout` (default 1_000 ms), `:summary` (options of the node summaries).
  Returns `%{nodes: %{node => summary}, unreachable: %{node => reason}, models: %{{model,
  region} => stats}}` where the cluster `stats` add up `:calls`, `:errors`,
  `:errors_by_reason`, `:cost_nanodollars`, `:input_tokens`, `:output_tokens` (and
  `:error_rate` from them) and give, for `:first_token_ms` and `:total_ms`, the worst
  node's percentiles (`%{p50:, p95:, p99:}`, each the maximum over the nodes): an upper
  bound, since percentiles of different nodes do not add.
  """
  @spec summary(keyword()) :: map()
  def summary(opts \\ []) do
    opts = Keyword.validate!(opts, timeout: 1_000, summary: [], nodes: nil)

    %{ok: ok, failed: failed} =
      on_each_node({PerformanceMonitor, :summary, [opts[:summary]]},
        timeout: opts[:timeout],
        nodes: opts[:nodes]
      )

    models =
      ok
      |> Map.values()
      |> Enum.flat_map(&Map.to_list(&1.models))
      |> Enum.group_by(fn {target, _} -> target end, fn {_, stats} -> stats end)
      |> Map.new(fn {target, stats} -> {target, merge_stats(stats)} end)

    %{nodes: ok, unreachable: failed, models: models}
  end

  defp merge_stats(list) do
    sum = fn key -> list |> Enum.map(&(Map.get(&1, key) || 0)) |> Enum.sum() end
    calls = sum.(:calls)
    errors = sum.(:errors)

    %{
      calls: calls,
      errors: errors,
      error_rate: if(calls > 0, do: errors / calls, else: 0.0),
      errors_by_reason:
        Enum.reduce(list, %{}, fn stats, acc ->
          Map.merge(acc, Map.get(stats, :errors_by_reason) || %{}, fn _k, a, b -> a + b end)
        end),
      cost_nanodollars: sum.(:cost_nanodollars),
      input_tokens: sum.(:input_tokens),
      output_tokens: sum.(:output_tokens),
      first_token_ms: worst(list, :first_token_ms),
      total_ms: worst(list, :total_ms)
    }
  end

  defp worst(list, key) do
    case for(stats <- list, p = Map.get(stats, key), is_map(p), do: p) do
      [] ->
        nil

      percentiles ->
        Map.new([:p50, :p95, :p99], fn q ->
          {q, percentiles |> Enum.map(&Map.get(&1, q)) |> Enum.reject(&is_nil/1) |> max_or_nil()}
        end)
    end
  end

  defp max_or_nil([]), do: nil
  defp max_or_nil(values), do: Enum.max(values)

  @doc """
  The health of every node: `health_fun` is `{module, function, args}` run on each node
  (default `{Aybiza.Bedrock, :health, [[]]}` when that function exists, else this node's
  breakers and admission state, `local_health/0`). Options: `:timeout` (1_000 ms).

  Returns `%{status: :ok | :degraded, nodes: %{node => health}, unreachable: %{node =>
  reason}}`; `:degraded` when a node did not answer or answered a map whose `:status` is
  not `:ok`.
  """
  @spec health({module(), atom(), list()} | nil, keyword()) :: map()
  def health(health_fun \\ nil, opts \\ []) do
    opts = Keyword.validate!(opts, timeout: 1_000, nodes: nil)
    mfa = health_fun || default_health_fun()
    %{ok: ok, failed: failed} = on_each_node(mfa, opts)

    healthy? =
      failed == %{} and
        Enum.all?(ok, fn {_node, health} ->
          not is_map(health) or Map.get(health, :status, :ok) == :ok
        end)

    %{status: if(healthy?, do: :ok, else: :degraded), nodes: ok, unreachable: failed}
  end

  defp default_health_fun do
    Code.ensure_loaded(Aybiza.Bedrock)

    if function_exported?(Aybiza.Bedrock, :health, 1),
      do: {Aybiza.Bedrock, :health, [[]]},
      else: {__MODULE__, :local_health, []}
  end

  @doc """
  This node's part of `health/2` when `Aybiza.Bedrock.health/1` is not there: the breakers
  that refuse calls and the admission state of each quota. `:status` is `:degraded` when a
  breaker is open.
  """
  @spec local_health() :: map()
  def local_health do
    open = for {key, state} <- Aybiza.Bedrock.CircuitBreaker.list(), state != :closed, do: key

    %{
      status: if(open == [], do: :ok, else: :degraded),
      node: node(),
      open_breakers: open,
      admission: Aybiza.Bedrock.Cluster.Admission.info()
    }
  end
end
