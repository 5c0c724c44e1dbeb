defmodule Aybiza.Conversation.MemoryMnesiaTest do
  # Mnesia is node-global: no async.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock.ConversationMemory, as: Memory

  @moduletag :tmp_dir

  setup %{tmp_dir: dir} do
    previous = Application.get_env(:mnesia, :dir)
    # A fresh disc schema in a temp dir; any running Mnesia is stopped first.
    :stopped = :mnesia.stop()
    Application.put_env(:mnesia, :dir, String.to_charlist(dir))

    on_exit(fn ->
      :mnesia.stop()

      if previous,
        do: Application.put_env(:mnesia, :dir, previous),
        else: Application.delete_env(:mnesia, :dir)
    end)

    :ok
  end

  test "memory survives a Mnesia restart (disc copies)", %{tmp_dir: dir} do
    name = Module.concat(__MODULE__, Mem)
    spec = {Memory.Supervisor, name: name, store: Memory.MnesiaStore}
    start_supervised!(spec)
    mem = [memory: name]

    assert :mnesia.table_info(Memory.MnesiaStore.table(), :disc_copies) == [node()]

    :ok =
      Memory.remember_all(
        "call-1",
        [%{role: :user, content: "Hi"}, %{role: :assistant, content: "Hello Ana"}],
        mem
      )

    :ok = Memory.put_summary("call-1", "greeted", mem)

    # Stop everything, Mnesia included: only the disc copy remains.
    stop_supervised!({Memory.Supervisor, name})
    :stopped = :mnesia.stop()
    assert File.ls!(dir) |> Enum.any?(&String.starts_with?(&1, "aybiza_conversation_memory"))

    start_supervised!(spec)
    assert :mnesia.system_info(:is_running) == :yes

    assert %{
             history: [%{content: [%{text: "Hi"}]}, %{content: [%{text: "Hello Ana"}]}],
             summary: "greeted"
           } = Memory.get_context("call-1", mem)
  end
end
