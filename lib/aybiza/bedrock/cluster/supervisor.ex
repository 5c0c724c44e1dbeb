defmodule Aybiza.Bedrock.Cluster.Supervisor do
  @moduledoc """
  The cluster layer of a node (`Aybiza.Bedrock.Cluster`): the library's `:pg` scope, the
  breaker sync and the admission membership. Started by `Aybiza.Bedrock.Application`.
  With `config :aybiza_bedrock, :cluster, enabled: false` only the node-local part of
  admission runs (`Aybiza.Bedrock.Cluster.Admission.Members` without `:pg`: the whole
  quota is this node's, and reservations are still settled).
  """
  use Supervisor

  alias Aybiza.Bedrock.Cluster

  @doc "Starts the cluster layer."
  @spec start_link(keyword()) :: Supervisor.on_start()
  def start_link(opts \\ []), do: Supervisor.start_link(__MODULE__, opts, name: __MODULE__)

  @impl true
  def init(_opts) do
    # A misconfigured quota or admission option stops boot with a message naming it,
    # instead of being ignored on the first call.
    Cluster.Quotas.validate!(Application.get_env(:aybiza_bedrock, :quotas, []))
    _ = Cluster.Admission.options!([])

    children =
      if Cluster.enabled?(),
        do: [
          %{id: :pg, start: {:pg, :start_link, [Cluster.scope()]}},
          Cluster.BreakerSync,
          {Cluster.Admission.Members, cluster: true}
        ],
        else: [{Cluster.Admission.Members, cluster: false}]

    Supervisor.init(children, strategy: :rest_for_one)
  end
end

defmodule Aybiza.Bedrock.Cluster.Admission.Members do
  @moduledoc """
  Keeps `Aybiza.Bedrock.Cluster.Admission` informed: joins the `:pg` group of admission,
  counts the nodes in it on every join and leave (nodeup / nodedown), receives the
  throttle reports of the other nodes, and attaches the local telemetry handler that
  settles reservations and reports throttles.
  """
  use GenServer

  alias Aybiza.Bedrock.{Cluster, Telemetry}
  alias Aybiza.Bedrock.Cluster.Admission

  @handler {Admission, :settle_and_throttle}
  @events [
    [:aybiza_bedrock, :stream, :stop],
    [:aybiza_bedrock, :stream, :exception],
    [:aybiza_bedrock, :retry],
    [:aybiza_bedrock, :fallback]
  ]

  @doc false
  @spec start_link(keyword()) :: GenServer.on_start()
  def start_link(opts \\ []), do: GenServer.start_link(__MODULE__, opts, name: __MODULE__)

  @impl true
  def init(opts) do
    ref =
      if Keyword.get(opts, :cluster, true) do
        scope = Cluster.scope()
        :ok = :pg.join(scope, Admission.group(), self())
        {ref, _pids} = :pg.monitor(scope, Admission.group())
        count_members()
        ref
      else
        Admission.put_members(1)
        nil
      end

    Telemetry.detach(@handler)
    :ok = Telemetry.attach_many(@handler, @events, &Admission.handle_event/4)
    {:ok, %{ref: ref}}
  end

  @impl true
  def handle_info({ref, change, _group, _pids}, %{ref: ref} = state)
      when is_reference(ref) and change in [:join, :leave] do
    count_members()
    {:noreply, state}
  end

  def handle_info({:aybiza_throttled, origin, key}, state) do
    Admission.apply_remote_throttle(key, origin)
    {:noreply, state}
  end

  def handle_info(_other, state), do: {:noreply, state}

  defp count_members do
    nodes =
      :pg.get_members(Cluster.scope(), Admission.group())
      |> Enum.map(&node/1)
      |> Enum.uniq()

    Admission.put_members(max(length(nodes), 1))
  end
end
