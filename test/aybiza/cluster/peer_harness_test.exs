defmodule Aybiza.Cluster.PeerHarnessTest do
  # Real peer nodes: not async.
  use ExUnit.Case, async: false

  alias Aybiza.ClusterCase

  @moduletag :cluster
  @moduletag ClusterCase.skip_tag()
  @moduletag timeout: 120_000

  test "three peers run the library with its NIF loaded" do
    peers = ClusterCase.start_peers(3)
    on_exit(fn -> Enum.each(peers, &ClusterCase.stop_peer/1) end)

    for %{node: node} <- peers do
      assert node in Node.list()

      assert {:ok, %{base_model_id: _}} =
               :erpc.call(node, Aybiza.Bedrock.Catalog, :get, ["anthropic.claude-sonnet-4-6"])

      started = :erpc.call(node, Application, :started_applications, [])
      assert Enum.any?(started, &match?({:aybiza_bedrock, _, _}, &1))
    end
  end
end
