defmodule Aybiza.ProbeMemoryTest do
  # Conversation memory against a caller that makes up call ids and messages: the number of
  # calls held is capped (a clear :overloaded error past the cap, not one more process per
  # id for an hour), a call's memory is bounded in bytes, and a huge call id is refused.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock.ConversationMemory, as: Memory
  alias Aybiza.Error

  defp start_memory(opts) do
    name = :"probe_memory_#{System.unique_integer([:positive])}"
    start_supervised!({Memory.Supervisor, [name: name] ++ opts}, id: name)
    name
  end

  defp msg(text), do: %{role: :user, content: text}

  test "made-up call ids past :max_calls get :overloaded, and forgetting makes room" do
    name = start_memory(max_calls: 20)

    for i <- 1..20, do: assert(:ok = Memory.remember("call-#{i}", msg("hi"), memory: name))

    for id <- ["call-21", {:made_up, 1}, make_ref()] do
      assert {:error, %Error{reason: :overloaded, message: m}} =
               Memory.remember(id, msg("hi"), memory: name)

      assert m =~ "max_calls"
    end

    # Reads of unknown calls start nothing; a call already held still works.
    assert %{history: []} = Memory.get_context("call-22", memory: name)
    assert :ok = Memory.remember("call-1", msg("again"), memory: name)

    assert {:error, %Error{reason: :overloaded}} =
             Memory.put_summary("call-23", "s", memory: name)

    assert {:error, %Error{reason: :overloaded}} =
             Memory.put_metadata("call-23", %{}, memory: name)

    :ok = Memory.forget("call-1", memory: name)
    assert :ok = Memory.remember("call-21", msg("hi"), memory: name)
  end

  test "the default memory has a documented cap on calls" do
    {:ok, config} = Registry.meta(Memory.registry(Memory), :config)
    assert is_integer(config.max_calls) and config.max_calls > 0
  end

  test "a call's memory is bounded in bytes: a huge message is refused, old ones are dropped" do
    name = start_memory(max_call_bytes: 100_000)
    big = :binary.copy("a", 40_000)

    assert {:error, %Error{reason: :invalid_request, message: m}} =
             Memory.remember("c", msg(:binary.copy("a", 200_000)), memory: name)

    assert m =~ "max_call_bytes"

    for _ <- 1..10, do: assert(:ok = Memory.remember("c", msg(big), memory: name))
    %{history: history} = Memory.get_context("c", memory: name)
    assert history != []
    assert :erlang.external_size(history) <= 100_000

    assert {:error, %Error{reason: :invalid_request}} =
             Memory.put_metadata("c", %{"blob" => :binary.copy("b", 200_000)}, memory: name)

    assert {:error, %Error{reason: :invalid_request}} =
             Memory.put_summary("c", :binary.copy("s", 200_000), memory: name)
  end

  test "a call id larger than 1 KB is a programmer error, not a registry key" do
    name = start_memory([])
    huge = :binary.copy("x", 1_000_000)

    assert_raise ArgumentError, ~r/call id/, fn ->
      Memory.remember(huge, msg("hi"), memory: name)
    end

    assert_raise ArgumentError, ~r/call id/, fn -> Memory.get_context(huge, memory: name) end
    deep = Enum.reduce(1..100_000, :x, fn _, acc -> {acc} end)

    assert_raise ArgumentError, ~r/call id/, fn ->
      Memory.remember(deep, msg("hi"), memory: name)
    end
  end

  test "malformed content is the caller's :invalid_request; the call's memory lives on" do
    name = start_memory([])
    :ok = Memory.remember("malformed-c", msg("first"), memory: name)
    pid = Memory.whereis("malformed-c", memory: name)

    for bad <- [
          %{role: :user, content: [1 | %{"a" => 1}]},
          %{role: :user, content: [%{text: "x"} | :tail]},
          %{role: :user, content: [1, 2]},
          %{role: :user, content: "x", metadata: [1 | 2]}
        ] do
      assert {:error, %Error{reason: :invalid_request}} =
               Memory.remember("malformed-c", bad, memory: name)
    end

    assert Memory.whereis("malformed-c", memory: name) == pid

    assert [%{content: [%{text: "first"}]}] =
             Memory.get_context("malformed-c", memory: name).history
  end
end
