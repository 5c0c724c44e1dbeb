defmodule Aybiza.Cluster.MemoryClusterTest do
  # Three real peer nodes with Mnesia: not async.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock.ConversationMemory, as: Memory
  alias Aybiza.ClusterCase

  @moduletag :cluster
  @moduletag :tmp_dir
  @moduletag ClusterCase.skip_tag()
  @moduletag timeout: 120_000

  @name Aybiza.Cluster.MemoryClusterTest.Memory

  # A memory instance with the Mnesia store on `node`, under the application's supervisor
  # (not linked to the short-lived :erpc process).
  defp start_memory(node) do
    spec = {Memory.Supervisor, name: @name, store: Memory.MnesiaStore}

    {:ok, _} =
      :erpc.call(node, Supervisor, :start_child, [Aybiza.Bedrock.Supervisor, spec], 30_000)
  end

  for copies <- [:disc_copies, :ram_copies] do
    @copies copies
    test "memory written on node A is read on node B after A stops (#{copies})",
         %{tmp_dir: dir} do
      peers =
        for i <- 1..3 do
          [peer] =
            ClusterCase.start_peers(1,
              env: [
                {:mnesia, :dir, String.to_charlist(Path.join(dir, "n#{i}"))},
                {:aybiza_bedrock, :conversation_memory, [mnesia_copies: @copies]}
              ]
            )

          peer
        end

      on_exit(fn -> Enum.each(peers, &ClusterCase.stop_peer/1) end)
      [a, b, c] = peers
      ClusterCase.mesh(peers)

      # A creates the table; B and C join it.
      for %{node: node} <- [a, b, c], do: start_memory(node)

      table = Memory.MnesiaStore.table()
      copies_of = :erpc.call(b.node, :mnesia, :table_info, [table, @copies])
      assert Enum.sort(copies_of) == Enum.sort([a.node, b.node, c.node])

      mem = [memory: @name]

      :ok =
        :erpc.call(a.node, Memory, :remember_all, [
          "call-7",
          [%{role: :user, content: "My name is Ana"}, %{role: :assistant, content: "Hi Ana"}],
          mem
        ])

      :ok = :erpc.call(a.node, Memory, :put_summary, ["call-7", "caller is Ana", mem])

      ClusterCase.stop_peer(a)

      assert %{
               history: [%{content: [%{text: "My name is Ana"}]}, %{content: [%{text: "Hi Ana"}]}],
               summary: "caller is Ana"
             } = :erpc.call(b.node, Memory, :get_context, ["call-7", mem])

      # B continues the call; C's copy has B's write (memory writes through to the store).
      :ok =
        :erpc.call(b.node, Memory, :remember, ["call-7", %{role: :user, content: "Thanks"}, mem])

      assert {:ok, %{history: history}} =
               :erpc.call(c.node, Memory.MnesiaStore, :load, ["call-7"])

      assert length(history) == 3
    end
  end
end
