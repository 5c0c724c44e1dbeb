defmodule Aybiza.Cluster.ClusterViewTest do
  # Real peer nodes: not async.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock.{Cluster, PerformanceMonitor}
  alias Aybiza.ClusterCase

  @moduletag :cluster
  @moduletag ClusterCase.skip_tag()
  @moduletag timeout: 120_000

  @model "anthropic.claude-haiku-4-5-20251001-v1:0"

  test "the performance summary of every node, summed; a node that is gone is reported" do
    [a, b, c] = peers = ClusterCase.start_peers(3)
    on_exit(fn -> Enum.each(peers, &ClusterCase.stop_peer/1) end)

    for {%{node: node}, i} <- Enum.with_index(peers, 1) do
      sample = %{
        model_id: @model,
        region: "us-east-1",
        ok?: true,
        first_token_ms: 100 * i,
        total_ms: 500,
        input_tokens: 10,
        output_tokens: 5
      }

      :ok = :erpc.call(node, PerformanceMonitor, :record, [sample])
    end

    # An error on B only.
    :ok =
      :erpc.call(b.node, PerformanceMonitor, :record, [
        %{model_id: @model, region: "us-east-1", ok?: false, error_reason: :throttled}
      ])

    view = :erpc.call(a.node, Cluster, :summary, [[timeout: 2_000]])
    assert view.unreachable == %{}
    assert Enum.sort(Map.keys(view.nodes)) == Enum.sort(Enum.map(peers, & &1.node))

    assert %{
             calls: 4,
             errors: 1,
             input_tokens: 30,
             output_tokens: 15,
             errors_by_reason: %{throttled: 1}
           } = stats = view.models[{@model, "us-east-1"}]

    # The worst node's first-token p99 (C's 300 ms sample, within its histogram bucket).
    c_p99 = view.nodes[c.node].models[{@model, "us-east-1"}].first_token_ms.p99
    assert stats.first_token_ms.p99 == c_p99

    ClusterCase.stop_peer(c)
    nodes = Enum.map(peers, & &1.node)
    view = :erpc.call(a.node, Cluster, :summary, [[timeout: 1_000, nodes: nodes]])
    assert Map.keys(view.unreachable) == [c.node]
    assert map_size(view.nodes) == 2
  end

  test "health: a node that does not answer in time is reported, not waited for" do
    [a, _b, c] = peers = ClusterCase.start_peers(3)
    on_exit(fn -> Enum.each(peers, &ClusterCase.stop_peer/1) end)

    fun = {ClusterCase, :health_slow_on, [c.node, 10_000]}
    started = System.monotonic_time(:millisecond)
    health = :erpc.call(a.node, Cluster, :health, [fun, [timeout: 300]])
    elapsed = System.monotonic_time(:millisecond) - started

    assert health.status == :degraded
    assert health.unreachable == %{c.node => :timeout}
    assert map_size(health.nodes) == 2
    # Well before the slow node's 10 s.
    assert elapsed < 5_000

    # The default health of a node: its open breakers and admission buckets.
    assert %{status: :ok, open_breakers: [], admission: %{}} =
             :erpc.call(a.node, Cluster, :local_health, [])
  end
end
