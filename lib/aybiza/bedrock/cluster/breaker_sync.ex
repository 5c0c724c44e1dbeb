defmodule Aybiza.Bedrock.Cluster.BreakerSync do
  @moduledoc """
  Shares circuit-breaker transitions across the nodes of the cluster.

  One process per node joins the `:pg` group `#{inspect(:aybiza_breakers)}` (scope
  `Aybiza.Bedrock.Cluster.scope/0`). When a breaker of this node changes state, the process
  that made the change sends the transition straight to every other member (no hop through
  this server); each member applies it with `Aybiza.Bedrock.CircuitBreaker.apply_remote/4`:

    * `open` carries the time left before half-open, so every node opens with the same
      deadline (measured from receipt: message latency, well under a millisecond on a LAN,
      is the only drift; wall clocks are never compared);
    * `half_open` tells the others that this node runs the cluster's trial: they stay open
      (refusing calls) until its verdict (`closed` or `open`) arrives, or for one more
      `recovery_ms` if it never does;
    * `closed` ends the trial everywhere.

  One trial for the cluster: a node starts a round of half-open trials only while it holds
  the `:global` lock `{#{inspect(:aybiza_breaker_trial)}, key}`, kept on the member with the
  smallest node name (taken without retry, so a node that loses the race refuses the call
  at once; if that node goes down the lock moves to the next one). The lock belongs to the process that
  runs the trial and is released with its verdict, or by `:global` when that process or its
  node dies.

  A node that joins late asks every connected node for its breakers that refuse calls
  (`Aybiza.Bedrock.CircuitBreaker.snapshot/1`), at start and on every `nodeup`.

  Each applied remote transition emits `[:aybiza_bedrock, :cluster, :breaker_received]`
  with `lag_us` (sender's system time to receipt; meaningful when the nodes share a clock,
  as the peers of the tests and benchmark do).
  """
  use GenServer

  alias Aybiza.Bedrock.{CircuitBreaker, Cluster, Telemetry}

  @group :aybiza_breakers
  @lock :aybiza_breaker_trial

  @doc false
  def group, do: @group

  @doc "Starts the node's breaker sync (a child of `Aybiza.Bedrock.Cluster.Supervisor`)."
  @spec start_link(keyword()) :: GenServer.on_start()
  def start_link(opts \\ []), do: GenServer.start_link(__MODULE__, opts, name: __MODULE__)

  @doc """
  Sends the new data of breaker `key` to the other nodes. Called by
  `Aybiza.Bedrock.CircuitBreaker` in the process that made the transition.
  """
  @spec broadcast(CircuitBreaker.key(), CircuitBreaker.data(), map(), integer()) :: :ok
  def broadcast(key, {state, failures, at, _in_flight, _ok}, cfg, now) do
    change =
      case state do
        :open -> {:open, max(at + cfg.recovery_ms - now, 0), failures}
        other -> other
      end

    case remote_members() do
      [] ->
        :ok

      members ->
        message = {:aybiza_breaker, node(), key, change, System.system_time(:microsecond)}
        Enum.each(members, &send(&1, message))
    end
  end

  @doc """
  Takes the cluster-wide trial lock of `key` for the calling process. `true` when it is
  held (or this node is alone), `false` when another process in the cluster holds it.
  """
  @spec claim_trial(CircuitBreaker.key()) :: boolean()
  def claim_trial(key) do
    case peer_nodes() do
      [] -> true
      nodes -> :global.set_lock({{@lock, key}, self()}, [lock_node(nodes)], 0)
    end
  end

  # The lock lives on one node that every member agrees on (the smallest name), so one
  # attempt has one winner: a lock taken on several nodes at once can fail for every
  # contender when they race.
  defp lock_node(peers), do: Enum.min([node() | peers])

  @doc "Releases the trial lock of `key` if the calling process holds it."
  @spec release_trial(CircuitBreaker.key()) :: :ok
  def release_trial(key) do
    case peer_nodes() do
      [] -> :ok
      nodes -> :global.del_lock({{@lock, key}, self()}, [lock_node(nodes)])
    end

    :ok
  end

  defp remote_members do
    for pid <- :pg.get_members(Cluster.scope(), @group), node(pid) != node(), do: pid
  rescue
    # No scope: the cluster layer is not running (clustering disabled).
    ArgumentError -> []
  end

  defp peer_nodes, do: remote_members() |> Enum.map(&node/1) |> Enum.uniq()

  @impl true
  def init(_opts) do
    :ok = :pg.join(Cluster.scope(), @group, self())
    :ok = :net_kernel.monitor_nodes(true)
    Enum.each(Node.list(), &ask_snapshot/1)
    {:ok, %{}}
  end

  defp ask_snapshot(node),
    do: send({__MODULE__, node}, {:aybiza_breaker_snapshot_request, self()})

  @impl true
  def handle_info({:aybiza_breaker, origin, key, change, sent_us}, state) do
    apply_change(key, change, origin, sent_us)
    {:noreply, state}
  end

  def handle_info({:aybiza_breaker_snapshot_request, from}, state) do
    send(from, {:aybiza_breaker_snapshot, node(), CircuitBreaker.snapshot()})
    {:noreply, state}
  end

  def handle_info({:aybiza_breaker_snapshot, origin, breakers}, state) when is_list(breakers) do
    for {key, change} <- breakers, do: apply_change(key, change, origin, nil)
    {:noreply, state}
  end

  def handle_info({:nodeup, node}, state) do
    ask_snapshot(node)
    {:noreply, state}
  end

  def handle_info(_other, state), do: {:noreply, state}

  defp apply_change({model_id, region} = key, change, origin, sent_us)
       when is_binary(model_id) and is_binary(region) and is_atom(origin) and
              (is_integer(sent_us) or is_nil(sent_us)) do
    if valid_change?(change), do: apply_valid(key, change, origin, sent_us), else: :ok
  end

  defp apply_change(_key, _change, _origin, _sent_us), do: :ok

  # A malformed message (another version, a bug) is dropped, never crashes the sync.
  defp valid_change?({:open, remaining, failures}),
    do: is_integer(remaining) and remaining >= 0 and is_integer(failures) and failures >= 0

  defp valid_change?(change), do: change in [:half_open, :closed]

  defp apply_valid({model_id, region} = key, change, origin, sent_us) do
    to = CircuitBreaker.apply_remote(key, change, origin)
    lag = if sent_us, do: System.system_time(:microsecond) - sent_us, else: nil

    Telemetry.execute(
      [:aybiza_bedrock, :cluster, :breaker_received],
      %{lag_us: lag},
      %{model_id: model_id, region: region, origin: origin, state: to}
    )
  end
end
